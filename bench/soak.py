#!/usr/bin/env python3
"""Soak: two concurrent scrapers x N scrapes against the exporter under the bench load.

Every response must be complete (HTTP 200, ends with a newline, has socket_exporter_build_info) and
self-consistent (no series twice); prints RSS and GC heap at the start and the end (and RSS 6 s after the end).
Usage: bench/soak.py [--scrapes N] [--exporter CMD]   (run as root; builds the load with bench/loadgen.py)"""
import argparse, json, os, re, shlex, socket, subprocess, sys, threading, time, urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("--scrapes", type=int, default=1000)
ap.add_argument("--exporter", default="dotnet src/SocketExporter/bin/Release/net10.0/socket_exporter.dll")
args = ap.parse_args()
os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

load = subprocess.Popen([sys.executable, "bench/loadgen.py"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
ready = load.stdout.readline()
assert ready.startswith("READY"), ready
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
exporter = subprocess.Popen(shlex.split(args.exporter) + [f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
url = f"http://127.0.0.1:{port}/metrics"

def rss_kib():
    with open(f"/proc/{exporter.pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

def scrape():
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.status, r.read().decode()

def value(body, name):
    m = re.search(r"^" + name + r" (\S+)$", body, re.M)
    return float(m.group(1)) if m else float("nan")

try:
    for _ in range(100):
        try:
            scrape(); break
        except OSError:
            time.sleep(0.1)
    for _ in range(10):
        _, body = scrape()
    start = {"rss_kib": rss_kib(), "gc_heap_bytes": value(body, "dotnet_total_memory_bytes")}
    errors, done, times = [], [0, 0], [[], []]

    def scraper(i):
        for _ in range(args.scrapes):
            t = time.monotonic()
            status, body = scrape()
            times[i].append(time.monotonic() - t)
            lines = [l for l in body.split("\n") if l and not l.startswith("#")]
            keys = [l.rsplit(" ", 1)[0] for l in lines]
            if status != 200 or not body.endswith("\n") or "socket_exporter_build_info{" not in body:
                errors.append(f"incomplete response (status {status}, {len(body)} bytes)")
            elif len(keys) != len(set(keys)):
                errors.append("a series appears twice")
            done[i] += 1

    threads = [threading.Thread(target=scraper, args=(i,)) for i in range(2)]
    t0 = time.monotonic()
    for t in threads: t.start()
    for t in threads: t.join()
    elapsed = time.monotonic() - t0
    _, body = scrape()
    end = {"rss_kib": rss_kib(), "gc_heap_bytes": value(body, "dotnet_total_memory_bytes"),
           "gen2_collections": value(body, 'dotnet_collection_count_total\\{generation="2"\\}')}
    # Between scrapes, as under a real scrape interval: the exporter hands a scrape's memory back within 5 s.
    time.sleep(6)
    end["rss_kib_6s_later"] = rss_kib()
    all_times = sorted(times[0] + times[1])
    result = {"scrapes": done, "errors": len(errors), "first_errors": errors[:3], "seconds": round(elapsed, 1),
              "median_s": round(all_times[len(all_times) // 2], 4), "start": start, "end": end,
              "series": len([l for l in body.split("\n") if l and not l.startswith("#")])}
    print(json.dumps(result, indent=1))
    sys.exit(1 if errors else 0)
finally:
    exporter.terminate(); exporter.wait()
    load.stdin.close(); load.wait()
