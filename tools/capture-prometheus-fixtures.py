#!/usr/bin/env python3
"""Capture real Prometheus HTTP API answers for `socket_exporter who --prometheus.url` (fleet mode) as fixtures.

Starts what fleet mode is asked about: a TCP listener on a loopback port with one accepted connection (held by this
script, program python3), two exporters on two ports (so two `instance` labels), and Debian's prometheus scraping
both every 15 s (a scrape of a loaded host can take seconds; one cut short lacks holders). Once both instances
report the listener, `who :PORT --prometheus.url` runs through a recording proxy placed in front of Prometheus: every query the binary asks and the body it gets back are stored verbatim,
named by the query's first socket_* metric (port-<metric>.json). Then, through the same proxy: a query Prometheus
refuses (error-bad-data.json, its real 400 answer) and the presence query for a metric no exporter has
(presence-missing.json). capture.json holds the port, pid, instances and each query, for the tests to check
against; README-captured.txt the environment and who's table output.

Usage (as root, from the repository root, after `dotnet build -c Release`):
  tools/capture-prometheus-fixtures.py [--exporter 'dotnet src/SocketExporter/bin/Release/net10.0/socket_exporter.dll']
                                       [--out tests/SocketExporter.Tests/Who/Fixtures/prometheus]
Only the standard library is used.
"""

import argparse
import http.server
import json
import os
import platform
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"no answer from {url} within {timeout}s")


def query(base, expr):
    data = urllib.parse.urlencode({"query": expr}).encode()
    try:
        with urllib.request.urlopen(base + "/api/v1/query", data=data, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--exporter", default="dotnet src/SocketExporter/bin/Release/net10.0/socket_exporter.dll")
    ap.add_argument("--out", default="tests/SocketExporter.Tests/Who/Fixtures/prometheus")
    args = ap.parse_args()
    exporter = shlex.split(args.exporter)
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="socket-exporter-promfix-")
    procs = []
    try:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = listener.accept()

        ports = [free_port(), free_port()]
        for p in ports:
            procs.append(subprocess.Popen(exporter + [f"--web.listen-address=127.0.0.1:{p}"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for p in ports:
            wait_http(f"http://127.0.0.1:{p}/-/ready")
        prom_port = free_port()
        with open(os.path.join(work, "prometheus.yml"), "w") as f:
            f.write("global:\n  scrape_interval: 15s\n  scrape_timeout: 15s\nscrape_configs:\n"
                    "  - job_name: socket-exporter\n    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{ports[0]}', '127.0.0.1:{ports[1]}']\n")
        procs.append(subprocess.Popen(["prometheus", f"--config.file={work}/prometheus.yml",
                                       f"--storage.tsdb.path={work}/data", f"--web.listen-address=127.0.0.1:{prom_port}"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        prom = f"http://127.0.0.1:{prom_port}"
        wait_http(prom + "/-/ready")
        # Both instances must report the listener and its holder's info before anything is recorded.
        end = time.time() + 240
        want = f'count(socket_listening{{port="{port}"}}) == 2 and count(socket_process_info{{pid="{os.getpid()}"}}) == 2'
        while True:
            status, body = query(prom, want)
            if status == 200 and json.loads(body)["data"]["result"]:
                break
            if time.time() > end:
                raise SystemExit("both instances did not report the listener within 240s")
            time.sleep(0.5)

        recorded = {}
        lock = threading.Lock()

        class Proxy(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                expr = urllib.parse.parse_qs(body.decode())["query"][0]
                status, answer = query(prom, expr)
                with lock:
                    recorded[expr] = (status, answer)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *a):
                pass

        proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        proxy_url = f"http://127.0.0.1:{proxy.server_address[1]}"
        who = exporter + ["who", f":{port}", f"--prometheus.url={proxy_url}"]
        table = subprocess.run(who, capture_output=True, text=True, timeout=60)
        if table.returncode != 0:
            raise SystemExit(f"who exited {table.returncode}: {table.stderr}")
        queries = {}
        for expr, (status, answer) in recorded.items():
            name = re.search(r"socket_\w+", expr).group(0)
            if expr.startswith("socket_process_info"):
                name = "socket_process_info"
            queries[name] = expr
            with open(os.path.join(args.out, f"port-{name}.json"), "wb") as f:
                f.write(answer)
        status, answer = query(proxy_url, 'socket_listening{port="81"')
        assert status == 400, status
        with open(os.path.join(args.out, "error-bad-data.json"), "wb") as f:
            f.write(answer)
        status, answer = query(proxy_url, 'count by (__name__) ({__name__=~"socket_path_holders"})')
        with open(os.path.join(args.out, "presence-missing.json"), "wb") as f:
            f.write(answer)
        proxy.shutdown()

        meta = {"port": port, "pid": os.getpid(), "instances": [f"127.0.0.1:{p}" for p in ports], "queries": queries}
        with open(os.path.join(args.out, "capture.json"), "w") as f:
            json.dump(meta, f, indent=2, sort_keys=True)
            f.write("\n")
        version = subprocess.run(["prometheus", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        with open(os.path.join(args.out, "README-captured.txt"), "w") as f:
            f.write(f"Captured by tools/capture-prometheus-fixtures.py on {time.strftime('%Y-%m-%d', time.gmtime())}\n")
            f.write(f"kernel {platform.release()} {platform.machine()}; {version}\n")
            f.write(f"listener 127.0.0.1:{port} (one accepted connection), pid {os.getpid()} (python3);"
                    f" exporters at {', '.join(meta['instances'])}\n\n$ socket_exporter who :{port} --prometheus.url=...\n")
            f.write(table.stdout)
        for c in (client, accepted, listener):
            c.close()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
