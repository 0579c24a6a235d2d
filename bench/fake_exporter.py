#!/usr/bin/env python3
"""Stand-in exporter for checking bench/run.sh plumbing (not a baseline).

Takes --web.listen-address=HOST:PORT like socket_exporter and serves
/metrics: one gauge series per line of /proc/net/{tcp,tcp6,udp,udp6},
re-read on every scrape. It does not walk /proc/[pid]/fd.

    bench/run.sh --exporter "python3 bench/fake_exporter.py" --scrapes 10
"""
import argparse
import http.server

STATES = {"01": "established", "02": "syn_sent", "03": "syn_recv", "04": "fin_wait1",
          "05": "fin_wait2", "06": "time_wait", "07": "close", "08": "close_wait",
          "09": "last_ack", "0A": "listen", "0B": "closing"}


def render():
    out = ["# HELP fake_socket One series per kernel socket (bench plumbing only).",
           "# TYPE fake_socket gauge"]
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        with open(f"/proc/net/{proto}") as f:
            next(f)
            for line in f:
                p = line.split()
                out.append(f'fake_socket{{proto="{proto}",local="{p[1]}",remote="{p[2]}",'
                           f'state="{STATES.get(p[3], p[3])}",inode="{p[9]}"}} 1')
    return ("\n".join(out) + "\n").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.split("?")[0] != "/metrics":
            self.send_error(404)
            return
        body = render()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--web.listen-address", dest="addr", default="127.0.0.1:9999")
    host, _, port = ap.parse_args().addr.rpartition(":")
    http.server.ThreadingHTTPServer((host.strip("[]") or "127.0.0.1", int(port)),
                                    Handler).serve_forever()


if __name__ == "__main__":
    main()
