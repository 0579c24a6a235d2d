#!/usr/bin/env bash
# Soak (issue 16, item 5): a day of scrapes compressed into a bounded run. The exporter is scraped every 100 ms for
# SECONDS while three loads churn beside it: short-lived processes that each hold sockets, TCP connections opened and
# closed on loopback, and network namespaces made and deleted (ip netns add/del, each with a listener in it while it
# lives). Every SAMPLE seconds it records the exporter's RSS, open fds (/proc/PID/fd), threads (/proc/PID/task) and the
# series in the last scrape; it prints the curve and the start/end line, and fails when a scrape failed or the
# exporter died. Run as root (ip netns, setns). Cleans up only the pids and namespaces it made.
# Usage: bench/soak.sh [SECONDS=240] [SAMPLE=15]     EXPORTER='dotnet .../socket_exporter.dll' to override.
set -euo pipefail
cd "$(dirname "$0")/.."
export SOAK_SECONDS=${1:-240} SOAK_SAMPLE=${2:-15}
export EXPORTER=${EXPORTER:-dotnet src/SocketExporter/bin/Release/net10.0/socket_exporter.dll}
exec python3 - <<'PY'
import os, re, shlex, signal, socket, subprocess, sys, threading, time, urllib.request

SECONDS, SAMPLE = float(os.environ["SOAK_SECONDS"]), float(os.environ["SOAK_SAMPLE"])
PREFIX = f"se-soak-{os.getpid()}"
stop = threading.Event()
procs, namespaces, lock = [], set(), threading.Lock()

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

# Process churn: a forker whose children live 0-50 ms holding 10 sockets each (SIGCHLD ignored: reaped at once).
FORKER = r'''
import os, random, signal, socket, time
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
while True:
    if os.fork() == 0:
        held = [socket.socket() for _ in range(10)]
        time.sleep(random.random() * 0.05)
        os._exit(0)
    time.sleep(0.01)
'''
# Connection churn: one server, one client connecting, exchanging a few bytes and closing, 100 per second.
SERVER = r'''
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(512)
while True:
    c, _ = s.accept(); c.recv(16); c.sendall(b"pong"); c.close()
'''
CLIENT = r'''
import socket, sys, time
while True:
    try:
        c = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); c.sendall(b"ping"); c.recv(16); c.close()
    except OSError:
        pass
    time.sleep(0.01)
'''
LISTENER = 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",8080)); s.listen(); time.sleep(3600)'

def spawn(args, **kw):
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    with lock:
        procs.append(p)
    return p

def netns_churn():
    # Up to 4 namespaces alive at a time; one made and one deleted about every second.
    i, alive = 0, []
    while not stop.is_set():
        i += 1
        name = f"{PREFIX}-{i}"
        if subprocess.run(["ip", "netns", "add", name]).returncode == 0:
            with lock:
                namespaces.add(name)
            subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"])
            alive.append((name, spawn(["ip", "netns", "exec", name, sys.executable, "-c", LISTENER])))
        if len(alive) > 3:
            old, p = alive.pop(0)
            p.kill(); p.wait()
            subprocess.run(["ip", "netns", "delete", old])
            with lock:
                namespaces.discard(old)
        stop.wait(1.0)

def status(pid):
    with open(f"/proc/{pid}/status") as f:
        text = f.read()
    rss = int(re.search(r"VmRSS:\s+(\d+)", text).group(1))
    return rss, len(os.listdir(f"/proc/{pid}/fd")), len(os.listdir(f"/proc/{pid}/task"))

port = free_port()
exporter = subprocess.Popen(shlex.split(os.environ["EXPORTER"]) + [f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
url = f"http://127.0.0.1:{port}/metrics"
scrapes, failures, last = 0, [], {"series": 0}

def scrape():
    with urllib.request.urlopen(url, timeout=30) as r:
        body = r.read().decode()
        if r.status != 200 or "socket_exporter_build_info{" not in body:
            raise RuntimeError(f"incomplete response ({r.status}, {len(body)} bytes)")
    return sum(1 for l in body.split("\n") if l and not l.startswith("#"))

try:
    for _ in range(300):
        try:
            scrape(); break
        except OSError:
            time.sleep(0.1)
    cport = free_port()
    spawn([sys.executable, "-c", FORKER])
    spawn([sys.executable, "-c", SERVER, str(cport)]); time.sleep(0.3)
    spawn([sys.executable, "-c", CLIENT, str(cport)])
    ns = threading.Thread(target=netns_churn); ns.start()
    time.sleep(3)   # every load running before the first sample
    samples, t0, next_sample = [], time.monotonic(), 0.0
    while True:
        elapsed = time.monotonic() - t0
        if exporter.poll() is not None:
            failures.append(f"exporter exited with {exporter.returncode}"); break
        t = time.monotonic()
        try:
            last["series"] = scrape()
        except Exception as e:   # a bench reports every failed scrape and goes on
            failures.append(f"{elapsed:.1f}s: {e}")
        scrapes += 1
        if elapsed >= next_sample or elapsed >= SECONDS:
            rss, fds, threads = status(exporter.pid)
            samples.append((elapsed, rss, fds, threads, last["series"]))
            print(f"t={elapsed:6.1f}s rss={rss/1024:7.1f} MiB fds={fds:4d} threads={threads:3d} series={last['series']:6d}"
                  f" scrapes={scrapes} failures={len(failures)}", flush=True)
            next_sample += SAMPLE
        if elapsed >= SECONDS:
            break
        time.sleep(max(0.0, 0.1 - (time.monotonic() - t)))
    s, e = samples[0], samples[-1]
    print(f"soak: {SECONDS:.0f} s, {scrapes} scrapes, {len(failures)} failed; "
          f"start rss={s[1]/1024:.1f} MiB fds={s[2]} threads={s[3]} series={s[4]}; "
          f"end rss={e[1]/1024:.1f} MiB fds={e[2]} threads={e[3]} series={e[4]}")
    for f in failures[:10]:
        print("  failure:", f)
finally:
    stop.set()
    with lock:
        for p in procs:
            p.kill()
    if "ns" in dir():
        ns.join()
    for p in procs:
        p.wait()
    for name in list(namespaces):
        subprocess.run(["ip", "netns", "delete", name])
    exporter.terminate(); exporter.wait(10)
sys.exit(1 if failures else 0)
PY
