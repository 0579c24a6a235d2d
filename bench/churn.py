#!/usr/bin/env python3
"""Cost of the between-scrapes listener (destroy events) under connection churn.

Runs twice, the exporter with the listener (default) and with --no-collector.connection_events, each time beside the
same churn load: a server process and CLIENTS client processes opening, using (a few bytes each way) and closing short
TCP connections on 127.0.0.1, in a network namespace of its own (unshare), as fast as they can for SECONDS.
Reports, per run: connections made, the CPU seconds of the exporter and of the load (server + clients, from
/proc/PID/stat utime+stime), their ratio, the exporter's counted closed connections, and the mean /metrics time of
SCRAPES scrapes taken during the load. Needs root (unshare --net; the exporter reads the namespace via setns).

Usage: bench/churn.py [--seconds 10] [--clients 2] [--scrapes 10] [--exporter 'dotnet src/.../socket_exporter.dll']
"""
import argparse, json, os, socket, subprocess, sys, time, urllib.request

LOAD = r'''
import os, socket, sys, time
role, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
if role == "server":
    import threading
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(4096)
    def serve(c):
        with c:
            c.recv(64); c.sendall(b"pong")
    while True:
        c, _ = s.accept(); serve(c)
else:
    n, end = 0, time.time() + seconds
    while time.time() < end:
        c = socket.create_connection(("127.0.0.1", port)); c.sendall(b"ping"); c.recv(64); c.close(); n += 1
    print(n, flush=True)
'''

def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")   # (14) utime, (15) stime

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def scrape(port):
    t = time.perf_counter()
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30).read().decode()
    return time.perf_counter() - t, body

def run(args, listener):
    ns = f"churn-bench-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
    subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.tcp_tw_reuse=1"], check=True)
    port, eport = 20080, free_port()
    cmd = args.exporter.split() + [f"--web.listen-address=127.0.0.1:{eport}"] + ([] if listener else ["--no-collector.connection_events"])
    exporter = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", LOAD, "server", str(port), "0"])
    try:
        for _ in range(100):
            try:
                scrape(eport); break
            except OSError:
                time.sleep(0.2)
        time.sleep(0.5)
        scrape(eport)   # subscribes inside the namespace
        e0, s0 = cpu_seconds(exporter.pid), cpu_seconds(server.pid)
        clients = [subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", LOAD, "client", str(port), str(args.seconds)],
                                    stdout=subprocess.PIPE, text=True) for _ in range(args.clients)]
        times = []
        for _ in range(args.scrapes):
            time.sleep(args.seconds / (args.scrapes + 1))
            times.append(scrape(eport)[0])
        client_cpu = 0.0
        made = 0
        for c in clients:
            # CPU of a child that is about to exit: read just before it does (it prints its count last)
            out = c.stdout.readline()
            try:
                client_cpu += cpu_seconds(c.pid)
            except FileNotFoundError:
                pass
            made += int(out.strip() or 0)
            c.wait()
        time.sleep(1)
        e1, s1 = cpu_seconds(exporter.pid), cpu_seconds(server.pid)
        _, body = scrape(eport)
        closed = sum(float(l.rsplit(" ", 1)[1]) for l in body.splitlines()
                     if l.startswith("socket_connections_closed_total{") and f'port="{port}"' in l)
        overflows = sum(float(l.rsplit(" ", 1)[1]) for l in body.splitlines()
                        if l.startswith("socket_exporter_connection_events_overflows_total{"))
        load_cpu = client_cpu + (s1 - s0)
        return {"listener": listener, "connections": made, "per_second": round(made / args.seconds),
                "exporter_cpu_s": round(e1 - e0, 2), "load_cpu_s": round(load_cpu, 2),
                "exporter_over_load": round((e1 - e0) / load_cpu, 3) if load_cpu else None,
                "closed_counted": closed, "overflows": overflows,
                "scrape_ms_mean": round(1000 * sum(times) / len(times), 1)}
    finally:
        for p in (exporter, server):
            p.kill(); p.wait()
        subprocess.run(["ip", "netns", "delete", ns])

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--scrapes", type=int, default=10)
    ap.add_argument("--exporter", default="dotnet src/SocketExporter/bin/Release/net10.0/socket_exporter.dll")
    args = ap.parse_args()
    for listener in (True, False):
        print(json.dumps(run(args, listener)), flush=True)

if __name__ == "__main__":
    main()
