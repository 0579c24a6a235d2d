#!/usr/bin/env python3
"""Listeners that change between two scrapes, for the listener sampler's tests. Prints {"pid", "port"} (a listener
with backlog 8 on loopback), then answers one JSON line per command read from stdin:
  burst N SECONDS  connect N clients to that listener, leave them unaccepted SECONDS, then accept them all
  flash SECONDS    open another listener, keep it SECONDS, close it: {"port"}
  open             open another listener and keep it: {"port"}
  close PORT       close the listener opened on PORT by "open"
Everything stays on loopback. Exits when stdin closes."""
import json, os, socket, sys, time

def listener(backlog):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(backlog)
    return s

def main():
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    main_listener = listener(8)
    opened = {}
    clients, accepted = [], []
    print(json.dumps({"pid": os.getpid(), "port": main_listener.getsockname()[1]}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "burst":
            count, seconds = int(words[1]), float(words[2])
            for _ in range(count):
                clients.append(socket.create_connection(("127.0.0.1", main_listener.getsockname()[1])))
            time.sleep(seconds)
            for _ in range(count):
                accepted.append(main_listener.accept()[0])
            answer = {"accepted": count}
        elif words[0] == "flash":
            s = listener(4)
            port = s.getsockname()[1]
            time.sleep(float(words[1]))
            s.close()
            answer = {"port": port}
        elif words[0] == "open":
            s = listener(4)
            opened[s.getsockname()[1]] = s
            answer = {"port": s.getsockname()[1]}
        elif words[0] == "close":
            opened.pop(int(words[1])).close()
            answer = {"closed": int(words[1])}
        else:
            answer = {"error": "unknown command " + words[0]}
        print(json.dumps(answer), flush=True)

if __name__ == "__main__":
    main()
