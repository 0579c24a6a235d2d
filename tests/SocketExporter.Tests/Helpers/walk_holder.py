#!/usr/bin/env python3
"""Processes that the /proc walk finds hard to read, for the integration tests. Prints one JSON line when ready,
then answers each command line on stdin with one JSON line; exits (cleaning up) when stdin closes.

Usage: walk_holder.py deep WORKDIR | identity | threadns | heldns
  deep WORKDIR  opens a file below a directory chain longer than PATH_MAX (4096), THEN three TCP listeners,
                so the listeners' fds come after the one whose link cannot be read.
  identity      one TCP listener; commands: "move CGROUPDIR..." (joins each cgroup dir), "setuid UID" (setresuid).
  threadns      one thread unshares its network namespace and listens there; the process's own ns is the caller's.
  heldns        a namespace kept only by an nsfs fd and a listener of a thread that has exited."""
import ctypes, json, os, select, socket, sys, threading

PATH_MAX = 4096
CLONE_NEWNET = 0x40000000   # linux/sched.h

def listen_tcp(host):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((host, 0))
    s.listen(8)
    return s

def deep(workdir):
    keep, out = [], {"pid": os.getpid()}
    name = "d" * 250
    total, depth = len(workdir), 0
    os.chdir(workdir)
    while total <= PATH_MAX + 300:
        os.mkdir(name)
        os.chdir(name)   # relative: each step stays short, the whole path does not
        total += 1 + len(name)
        depth += 1
    f = open("file", "w"); keep.append(f)
    os.chdir("/")        # the cwd link would be unreadable too; only the descriptor is under test
    out["file_fd"], out["depth"], out["path_length"] = f.fileno(), depth, total + len("/file")
    ports = []
    for _ in range(3):
        s = listen_tcp("127.0.0.1"); keep.append(s)
        ports.append(s.getsockname()[1])
    out["ports"] = ports

    def cleanup():
        f.close()
        fd = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY)
        os.fchdir(fd); os.close(fd)
        for _ in range(depth):
            os.chdir(name)
        os.unlink("file")
        for _ in range(depth):
            os.chdir("..")
            os.rmdir(name)
        os.chdir("/")
    return keep, out, cleanup, None

def identity():
    keep, out = [], {"pid": os.getpid()}
    s = listen_tcp("127.0.0.1"); keep.append(s)
    out["port"] = s.getsockname()[1]

    def command(words):
        if words[0] == "move":
            for d in words[1:]:
                with open(os.path.join(d, "cgroup.procs"), "w") as f:
                    f.write(str(os.getpid()))
        elif words[0] == "setuid":
            uid = int(words[1])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        with open("/proc/self/cgroup") as f:
            return {"ok": True, "uid": os.geteuid(), "cgroup": f.read()}
    return keep, out, None, command

def threadns():
    keep, out = [], {"pid": os.getpid()}
    libc = ctypes.CDLL(None, use_errno=True)
    ready, stop, found = threading.Event(), threading.Event(), {}

    def inside():
        try:
            if libc.unshare(CLONE_NEWNET) != 0:   # only this thread moves (unshare(2) acts on the calling thread)
                raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET)")
            s = socket.socket(); s.bind(("0.0.0.0", 0)); s.listen(4)   # lo is down in a new namespace: bind the wildcard
            keep.append(s)
            found.update(tid=threading.get_native_id(), port=s.getsockname()[1],
                         netns=os.stat("/proc/thread-self/ns/net").st_ino)
        except OSError as e:
            found["error"] = str(e)
        ready.set()
        stop.wait()
    t = threading.Thread(target=inside, daemon=True); t.start()
    ready.wait()
    if "error" in found:
        raise SystemExit(found["error"])
    out.update(found)
    out["process_netns"] = os.stat("/proc/self/ns/net").st_ino
    return keep, out, stop.set, None

def heldns():
    """A namespace no thread is in: a thread unshares, opens its ns/net (an nsfs fd) and a listener, and exits."""
    keep, out = [], {"pid": os.getpid()}
    libc = ctypes.CDLL(None, use_errno=True)
    found = {}

    def inside():
        try:
            if libc.unshare(CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET)")
            found["nsfd"] = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
            s = socket.socket(); s.bind(("0.0.0.0", 0)); s.listen(4); keep.append(s)
            found["netns"] = os.fstat(found["nsfd"]).st_ino
        except OSError as e:
            found["error"] = str(e)
    t = threading.Thread(target=inside); t.start(); t.join()   # the thread is gone: only the fds hold the namespace
    if "error" in found:
        raise SystemExit(found["error"])
    out.update(found)
    return keep, out, None, None

def main():
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    scenario = sys.argv[1]
    keep, out, cleanup, command = {
        "deep": lambda: deep(sys.argv[2]),
        "identity": identity,
        "threadns": threadns,
        "heldns": heldns,
    }[scenario]()
    print(json.dumps(out), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            reply = command(words) if command else {"ok": False, "error": "no commands"}
        except OSError as e:
            reply = {"ok": False, "error": str(e)}
        print(json.dumps(reply), flush=True)
    if cleanup:
        cleanup()

if __name__ == "__main__":
    main()
