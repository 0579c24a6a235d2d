#!/usr/bin/env python3
"""Short-lived TCP connections for the between-scrapes tests (destroy events). Prints one JSON line, then answers
one JSON line per command read from stdin, until stdin closes.

Usage:
  churn.py server NAME [PORT] [REPLY_BYTES]  a listener on 127.0.0.1 under comm NAME: each accepted connection is read
                                             to EOF, answered with REPLY_BYTES bytes, then closed
  churn.py client NAME                       runs commands:
      connect PORT COUNT BYTES   COUNT connections, one after the other: send BYTES, shut down writing, read the reply
                                 to EOF, close. Answers {"connections": COUNT, "received": total reply bytes}
      refuse PORT COUNT          COUNT non-blocking connects to PORT (nothing listens): each fails (SO_ERROR), closed
      burst PORT COUNT           COUNT connections as fast as possible (no payload), closed at once
      open PORT                  one long-lived connection, kept open: answers {"id": N}
      send ID BYTES              sends BYTES on it and waits until the peer has acknowledged all (SIOCOUTQ 0), so the
                                 bytes are in both ends' tcp_info before the answer {"sent": BYTES}
      finish ID BYTES            sends BYTES, shuts down writing, reads the reply to EOF, closes: {"received": n}
Everything stays on 127.0.0.1 of the namespace it runs in."""
import ctypes, json, os, select, socket, sys, threading

libc = ctypes.CDLL(None, use_errno=True)

def set_comm(name):
    if libc.prctl(15, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0) != 0:   # PR_SET_NAME
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NAME)")

def serve(conn, reply):
    with conn:
        while conn.recv(65536):
            pass
        if reply:
            conn.sendall(b"r" * reply)

def server(name, port=0, reply=0):
    set_comm(name)
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", port))
    lst.listen(4096)
    def loop():
        while True:
            try:
                conn, _ = lst.accept()
            except OSError:
                return
            serve(conn, reply)   # one at a time: the tests' clients are sequential
    threading.Thread(target=loop, daemon=True).start()
    print(json.dumps({"pid": os.getpid(), "port": lst.getsockname()[1]}), flush=True)
    sys.stdin.read()

def send_rest_and_close(c, nbytes):
    """Sends nbytes, shuts down writing, reads the reply to EOF and closes; returns the reply's length."""
    if nbytes:
        c.sendall(b"x" * nbytes)
    c.shutdown(socket.SHUT_WR)
    received = 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        received += len(b)
    c.close()
    return received

def connect(port, count, nbytes):
    received = 0
    for _ in range(count):
        received += send_rest_and_close(socket.create_connection(("127.0.0.1", port)), nbytes)
    return {"connections": count, "received": received}

def refuse(port, count):
    failed = 0
    for _ in range(count):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        c.connect_ex(("127.0.0.1", port))
        select.select([], [c], [], 30)
        if c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
            failed += 1
        c.close()
    return {"failed": failed}

def burst(port, count):
    done = 0
    for _ in range(count):
        c = socket.create_connection(("127.0.0.1", port))
        c.shutdown(socket.SHUT_WR)
        while c.recv(65536):
            pass
        c.close()
        done += 1
    return {"connections": done}

SIOCOUTQ = 0x5411   # TIOCOUTQ: bytes in the send queue not yet acknowledged
held = {}
next_id = [0]

def open_(port):
    c = socket.create_connection(("127.0.0.1", port))
    next_id[0] += 1
    held[next_id[0]] = c
    return {"id": next_id[0]}

def unacked(c):
    import fcntl, struct
    return struct.unpack("i", fcntl.ioctl(c.fileno(), SIOCOUTQ, b"\0\0\0\0"))[0]

def send(cid, nbytes):
    import time
    c = held[cid]
    c.sendall(b"x" * nbytes)
    while unacked(c):
        time.sleep(0.005)
    return {"sent": nbytes}

def finish(cid, nbytes):
    return {"received": send_rest_and_close(held.pop(cid), nbytes)}

def client(name):
    set_comm(name)
    print(json.dumps({"pid": os.getpid()}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd, args = words[0], [int(w) for w in words[1:]]
        result = {"connect": connect, "refuse": refuse, "burst": burst, "open": open_, "send": send, "finish": finish}[cmd](*args)
        print(json.dumps(result), flush=True)

if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], *(int(a) for a in sys.argv[3:]))
    else:
        client(sys.argv[2])
