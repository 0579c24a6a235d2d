#!/usr/bin/env python3
"""Sockets whose ports must never become label values, for EphemeralPortTests. Prints one JSON line when ready,
then serves commands, one per stdin line (each answered with a JSON line), until stdin closes.

  drain COUNT PORT...   a forked server listens on 127.0.0.1:PORT (each) and accepts COUNT connections from this process
                        on each. Commands: close-listeners (the server closes its listeners, keeps the connections),
                        kill-server (SIGKILL to the server: its sockets are closed by the kernel), close-clients.
  bound COUNT           COUNT TCP sockets bound to 127.0.0.1 (port chosen by the kernel) that never listen or connect.
  udp PORT...           a UDP socket bound to 127.0.0.1:PORT (each), and an unbound one that sends a datagram to the
                        first: the kernel binds it to an ephemeral port.
Everything stays on loopback."""
import json, os, signal, socket, sys

def reply(obj):
    print(json.dumps(obj), flush=True)

def drain(count, ports):
    listeners = []
    for port in ports:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(256)
        listeners.append(s)
    commands_r, commands_w = os.pipe()
    acks_r, acks_w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(commands_w); os.close(acks_r)
        accepted = []
        for s in listeners:
            for _ in range(count):
                accepted.append(s.accept()[0])
        os.write(acks_w, b"a")
        while True:
            command = os.read(commands_r, 1)
            if not command:
                os._exit(0)
            if command == b"c":
                for s in listeners:
                    s.close()
                os.write(acks_w, b"c")
    os.close(commands_r); os.close(acks_w)
    for s in listeners:
        s.close()   # only the server holds them
    clients = []
    for port in ports:
        for _ in range(count):
            clients.append(socket.create_connection(("127.0.0.1", port)))
    os.read(acks_r, 1)
    reply({"pid": os.getpid(), "server_pid": child, "client_ports": [c.getsockname()[1] for c in clients]})
    for line in sys.stdin:
        command = line.strip()
        if command == "close-listeners":
            os.write(commands_w, b"c")
            os.read(acks_r, 1)
        elif command == "kill-server":
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            child = 0
        elif command == "close-clients":
            for c in clients:
                c.close()
            clients = []
        reply({"done": command})
    if child:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)

def bound(count):
    keep = []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        keep.append(s)
    reply({"pid": os.getpid(), "ports": [s.getsockname()[1] for s in keep]})
    for _ in sys.stdin:
        pass

def udp(ports):
    keep = []
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", port))
        keep.append(s)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.sendto(b"x", ("127.0.0.1", ports[0]))
    keep.append(sender)
    reply({"pid": os.getpid(), "sender_port": sender.getsockname()[1]})
    for _ in sys.stdin:
        pass

def main():
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    scenario, args = sys.argv[1], [int(a) for a in sys.argv[2:]]
    if scenario == "drain":
        drain(args[0], args[1:])
    elif scenario == "bound":
        bound(args[0])
    elif scenario == "udp":
        udp(args)
    else:
        sys.exit(f"unknown scenario {scenario}")

if __name__ == "__main__":
    main()
