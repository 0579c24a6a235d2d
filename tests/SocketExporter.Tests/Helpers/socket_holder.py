#!/usr/bin/env python3
"""Opens a known set of sockets and descriptors for the integration tests, prints one JSON line
describing them (ports, pids), then holds everything until its stdin closes.

Usage: socket_holder.py core | fds WORKDIR | unix WORKDIR | busy cwd|fd|mmap DIR | netns PORT | overflow | server
Everything stays on loopback. Forked children exit when the parent's stdin closes (they poll getppid)."""
import json, os, select, socket, sys, time

def listen_tcp(host, family=socket.AF_INET, backlog=16, reuseport=False, v6only=None, port=0):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuseport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if v6only else 0)
    s.bind((host, port))
    s.listen(backlog)
    return s

def bind_udp_outside_ephemeral_range(host):
    """A UDP socket bound to a free port below the namespace's ephemeral range: on a port inside it, an unconnected
    UDP socket is indistinguishable from one the kernel bound at a sendto(), and is not exported as listening."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        first = int(f.read().split()[0])
    for port in range(first - 1, 1023, -1):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind((host, port))
            return s
        except OSError:
            s.close()
    raise OSError("no free UDP port below the ephemeral range")

def fork_holder():
    """Forks a child that keeps every inherited descriptor until the parent is gone."""
    pid = os.fork()
    if pid == 0:
        parent = os.getppid()
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)
    return pid

def core():
    keep, out = [], {"pid": os.getpid()}
    # A listener shared with a forked child (prefork servers).
    shared = listen_tcp("127.0.0.1"); keep.append(shared)
    out["shared_port"] = shared.getsockname()[1]
    # An IPv6-only listener.
    v6 = listen_tcp("::1", socket.AF_INET6, v6only=True); keep.append(v6)
    out["v6only_port"] = v6.getsockname()[1]
    # Two SO_REUSEPORT sockets on one port.
    r1 = listen_tcp("127.0.0.1", reuseport=True, backlog=7); keep.append(r1)
    port = r1.getsockname()[1]
    r2 = listen_tcp("127.0.0.1", reuseport=True, backlog=9, port=port); keep.append(r2)
    out["reuseport_port"] = port
    # Backlog 5 with 3 connections that are never accepted.
    b5 = listen_tcp("127.0.0.1", backlog=5); keep.append(b5)
    out["backlog_port"] = b5.getsockname()[1]
    for _ in range(3):
        c = socket.create_connection(("127.0.0.1", out["backlog_port"])); keep.append(c)
    # Two established connections to the shared listener, accepted.
    for _ in range(2):
        c = socket.create_connection(("127.0.0.1", out["shared_port"])); keep.append(c)
        a, _addr = shared.accept(); keep.append(a)
    # A CLOSE_WAIT: the client closes, the accepted side never does.
    cw = listen_tcp("127.0.0.1"); keep.append(cw)
    out["close_wait_port"] = cw.getsockname()[1]
    c = socket.create_connection(("127.0.0.1", out["close_wait_port"]))
    a, _addr = cw.accept(); keep.append(a)
    c.close()
    # Unread bytes in a receive queue: 1000 bytes sent to an accepted socket nobody reads.
    q = listen_tcp("127.0.0.1"); keep.append(q)
    out["queued_port"] = q.getsockname()[1]
    c = socket.create_connection(("127.0.0.1", out["queued_port"])); keep.append(c)
    a, _addr = q.accept(); keep.append(a)
    c.sendall(b"x" * 1000)
    # UDP: one bound, unconnected, on a port outside the ephemeral range (a service); one connected to it.
    u = bind_udp_outside_ephemeral_range("127.0.0.1"); keep.append(u)
    out["udp_port"] = u.getsockname()[1]
    uc = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); uc.connect(("127.0.0.1", out["udp_port"])); keep.append(uc)
    time.sleep(0.2)   # let the handshakes and the FIN settle before anyone looks
    out["child_pid"] = fork_holder()
    return keep, out

def fds(workdir):
    """A known set of descriptors: 2 regular files, a pipe pair, a TCP listener and a unix socketpair,
    an eventfd and an epoll, a directory, /dev/null, and /dev/kmsg opened through a second node (mknod)."""
    import select as sel
    keep, out = [], {"pid": os.getpid()}
    for name in ("a.txt", "b.txt"):
        keep.append(open(os.path.join(workdir, name), "w"))
    r, w = os.pipe(); keep += [r, w]
    keep.append(listen_tcp("127.0.0.1"))
    keep += list(socket.socketpair())
    keep.append(os.eventfd(0))
    keep.append(sel.epoll())
    keep.append(os.open(workdir, os.O_RDONLY | os.O_DIRECTORY))
    keep.append(os.open("/dev/null", os.O_RDONLY))
    st = os.stat("/dev/kmsg")
    node = os.path.join(workdir, "kmsg-alias")
    os.mknod(node, 0o600 | 0o020000, st.st_rdev)   # S_IFCHR, same major:minor as /dev/kmsg
    keep.append(os.open(node, os.O_RDONLY | os.O_NONBLOCK))
    out["kmsg_major"], out["kmsg_minor"] = os.major(st.st_rdev), os.minor(st.st_rdev)
    return keep, out

def unix(workdir):
    """A path listener with backlog 4 holding 2 unaccepted clients plus one accepted connection,
    and an abstract-namespace listener."""
    keep, out = [], {"pid": os.getpid()}
    path = os.path.join(workdir, "listen.sock")
    lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); lst.bind(path); lst.listen(4); keep.append(lst)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect(path); keep.append(c)
    a, _ = lst.accept(); keep.append(a)
    for _ in range(2):
        p = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); p.connect(path); keep.append(p)
    abstract = "socket-exporter-test-%d" % os.getpid()
    ab = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); ab.bind("\0" + abstract); ab.listen(8); keep.append(ab)
    out["path"], out["abstract"] = path, "@" + abstract
    return keep, out

def busy(mode, directory):
    """Keeps DIRECTORY's filesystem busy one way: cwd, an open file (fd), or a mapping (mmap)."""
    import mmap
    keep, out = [], {"pid": os.getpid()}
    if mode == "cwd":
        os.chdir(directory)
    elif mode == "fd":
        keep.append(open(os.path.join(directory, "held.txt"), "w"))
    elif mode == "mmap":
        name = os.path.join(directory, "mapped.bin")
        with open(name, "wb") as f:
            f.write(b"\0" * 4096)
        with open(name, "r+b") as f:
            keep.append(mmap.mmap(f.fileno(), 4096))   # the descriptor closes; the mapping stays
    return keep, out

def netns(port):
    """A listener on 127.0.0.1:PORT with one accepted connection to it (run inside a namespace, or on the host)."""
    keep, out = [], {"pid": os.getpid()}
    lst = listen_tcp("127.0.0.1", port=int(port)); keep.append(lst)
    c = socket.create_connection(("127.0.0.1", lst.getsockname()[1])); keep.append(c)
    a, _ = lst.accept(); keep.append(a)
    out["port"] = lst.getsockname()[1]
    return keep, out

def overflow():
    """A listener with backlog 1 and four clients it never accepts: the accept queue overflows (run in a fresh namespace,
    whose TcpExt counters start at 0). Returns once the namespace has counted an overflow; clients keep retrying."""
    keep, out = [], {"pid": os.getpid()}
    lst = listen_tcp("127.0.0.1", backlog=1); keep.append(lst)
    for _ in range(4):
        c = socket.socket(); c.setblocking(False); keep.append(c)
        try:
            c.connect(("127.0.0.1", lst.getsockname()[1]))
        except BlockingIOError:
            pass
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with open("/proc/self/net/netstat") as f:
            names, values = [l.split() for l in f.read().splitlines() if l.startswith("TcpExt:")][:2]
        if int(dict(zip(names, values))["ListenOverflows"]) > 0:
            break
        time.sleep(0.1)
    out["port"] = lst.getsockname()[1]
    return keep, out

def busy_ns(count):
    """A listener with COUNT accepted connections to it (2*COUNT+1 TCP sockets): a busy namespace when run inside one."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 2 * int(count) + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    keep, out = [], {"pid": os.getpid()}
    lst = listen_tcp("127.0.0.1", backlog=1024); keep.append(lst)
    port = lst.getsockname()[1]
    for _ in range(int(count)):
        keep.append(socket.create_connection(("127.0.0.1", port)))
        a, _addr = lst.accept(); keep.append(a)
    out["port"] = port
    return keep, out

def server():
    """A listener that accepts and drops every connection (a thread), for client churn."""
    import threading
    keep, out = [], {"pid": os.getpid()}
    lst = listen_tcp("127.0.0.1", backlog=1024); keep.append(lst)
    def loop():
        while True:
            try:
                a, _ = lst.accept()
                a.close()
            except OSError:
                return
    threading.Thread(target=loop, daemon=True).start()
    out["port"] = lst.getsockname()[1]
    return keep, out

def named(comm):
    """A TCP listener held by a process that renamed itself (comm, as prctl(PR_SET_NAME) sets it): a name may be markup."""
    with open("/proc/self/comm", "w") as f:
        f.write(comm)
    lst = listen_tcp("127.0.0.1")
    return [lst], {"pid": os.getpid(), "port": lst.getsockname()[1]}

def main():
    # Descriptors inherited from whoever started the test run (a shell's spare /dev/null, a CI runner's socket)
    # are not part of any scenario: the tests count what this process holds, so hold only what it opens.
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    scenario = sys.argv[1]
    keep, out = {
        "core": core,
        "fds": lambda: fds(sys.argv[2]),
        "unix": lambda: unix(sys.argv[2]),
        "busy": lambda: busy(sys.argv[2], sys.argv[3]),
        "netns": lambda: netns(sys.argv[2]),
        "overflow": overflow,
        "server": server,
        "busy_ns": lambda: busy_ns(sys.argv[2]),
        "named": lambda: named(sys.argv[2]),
    }[scenario]()
    print(json.dumps(out), flush=True)
    # Hold until the test closes our stdin.
    while True:
        r, _, _ = select.select([sys.stdin], [], [], 1.0)
        if r and not sys.stdin.buffer.read1(4096):
            break
    child = out.get("child_pid")
    if child:
        os.kill(child, 15)
        os.waitpid(child, 0)

if __name__ == "__main__":
    main()
