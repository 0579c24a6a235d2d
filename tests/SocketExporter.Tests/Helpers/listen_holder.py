#!/usr/bin/env python3
"""Listeners shaped the way issue 18 found them exported wrongly, for the integration tests. Prints one JSON line
describing what it opened (ports, pids), then holds everything until its stdin closes.

Usage: listen_holder.py shared PARENT_NAME CHILD_NAME | devices DEVICE | unix_flood COUNT | tcp_pair | fd_limits NAME LIMIT...
Everything stays on loopback or in a namespace the test made. Forked children exit when the parent does
(they poll getppid); the parent also kills them when its stdin closes."""
import ctypes, json, os, resource, select, socket, sys, time

PR_SET_NAME = 15
SO_BINDTODEVICE = 25
libc = ctypes.CDLL(None, use_errno=True)

def set_comm(name):
    """comm is what `ps`, `ss -p` and the exporter's program label show: at most 15 bytes."""
    if libc.prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NAME)")

def fork_child(name=None, before=None):
    """A child that keeps every inherited descriptor until the parent is gone, under its own comm."""
    pid = os.fork()
    if pid == 0:
        if name:
            set_comm(name)
        if before:
            before()
        parent = os.getppid()
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)
    return pid

def shared(parent_name, child_name):
    """systemd socket activation / inetd: one listener (backlog 10) held by a parent and a differently named child,
    with 3 connections queued that nobody accepts."""
    set_comm(parent_name)
    keep, out = [], {"pid": os.getpid()}
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind(("127.0.0.1", 0))
    lst.listen(10)
    keep.append(lst)
    out["port"] = lst.getsockname()[1]
    for _ in range(3):
        keep.append(socket.create_connection(("127.0.0.1", out["port"])))
    time.sleep(0.2)   # handshakes complete: the 3 wait in the accept queue
    out["children"] = [fork_child(child_name)]
    time.sleep(0.2)   # the child has renamed itself before anyone looks
    return keep, out

def devices(device):
    """Listeners on one address:port bound to different devices (SO_BINDTODEVICE to lo and DEVICE, backlog 7 each),
    and a link-local IPv6 listener whose scope is DEVICE."""
    keep, out = [], {"pid": os.getpid()}
    port = 0
    for dev in ("lo", device):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, dev.encode())
        s.bind(("0.0.0.0", port))
        s.listen(7)
        port = s.getsockname()[1]
        keep.append(s)
    out["port"] = port
    v6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    v6.bind(("fe80::99", 0, 0, socket.if_nametoindex(device)))
    v6.listen(5)
    keep.append(v6)
    out["link_local_port"] = v6.getsockname()[1]
    return keep, out

def unix_flood(count):
    """What any user can do: COUNT abstract unix listeners (no file, no permission needed)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    keep, out = [], {"pid": os.getpid(), "uid": os.getuid()}
    for i in range(int(count)):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind("\0se-flood-%d-%d" % (os.getpid(), i))
        s.listen(4)
        keep.append(s)
    out["listeners"] = len(keep)
    return keep, out

def tcp_pair():
    """One listener (backlog 16) and one accepted connection to it, both ends held here; and one abstract unix
    listener (backlog 3), a service's socket among a flood."""
    keep, out = [], {"pid": os.getpid()}
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind(("127.0.0.1", 0))
    lst.listen(16)
    keep.append(lst)
    out["port"] = lst.getsockname()[1]
    c = socket.create_connection(("127.0.0.1", out["port"])); keep.append(c)
    a, _ = lst.accept(); keep.append(a)
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    out["unix_name"] = "se-keep-%d" % os.getpid()
    u.bind("\0" + out["unix_name"])
    u.listen(3)
    keep.append(u)
    return keep, out

def fd_limits(name, *limits):
    """One process per LIMIT, all named NAME, each with that soft RLIMIT_NOFILE: the parent takes the first."""
    keep, out = [], {"pid": os.getpid(), "children": []}
    set_comm(name)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for limit in limits[1:]:
        out["children"].append(fork_child(before=lambda l=int(limit): resource.setrlimit(resource.RLIMIT_NOFILE, (l, hard))))
    resource.setrlimit(resource.RLIMIT_NOFILE, (int(limits[0]), hard))
    time.sleep(0.2)   # the children have set their limits before anyone looks
    return keep, out

def main():
    # Inherited descriptors are not part of any scenario: hold only what this process opens.
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    scenario, args = sys.argv[1], sys.argv[2:]
    keep, out = {"shared": shared, "devices": devices, "unix_flood": unix_flood, "tcp_pair": tcp_pair,
                 "fd_limits": fd_limits}[scenario](*args)
    print(json.dumps(out), flush=True)
    while True:
        r, _, _ = select.select([sys.stdin], [], [], 1.0)
        if r and not sys.stdin.buffer.read1(4096):
            break
    for child in out.get("children", []):
        os.kill(child, 15)
        os.waitpid(child, 0)

if __name__ == "__main__":
    main()
