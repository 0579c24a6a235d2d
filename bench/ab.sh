#!/usr/bin/env bash
# Two builds of the exporter on one load, alternated: the before/after figures of a performance change.
#
#   bench/ab.sh [--connections N] [--rounds R] [--scrapes S] A_CMD B_CMD
#
# Builds the load once (bench/lib/load.sh, N connections, default 50000), then R rounds (default 3) of: start A,
# 3 warm-up and S timed scrapes (default 8), stop it; the same for B. Alternating spreads the machine's noise over
# both. Per build it prints the medians over all its scrapes: scrape time, CPU per scrape (utime+stime), the
# exporter's own socket_exporter_read_duration_seconds (sockets, processes: read in parallel) and
# socket_exporter_collector_duration_seconds per collector, and the rest (scrape time less the longer read and the
# collectors: registry, exposition text, HTTP); and the VmHWM each start reached. A_CMD and B_CMD get
# --web.listen-address=127.0.0.1:PORT appended.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/lib/load.sh
source "$BENCH_DIR/lib/load.sh"

CONNECTIONS=50000
ROUNDS=3
SCRAPES=8
WARMUP=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --connections) CONNECTIONS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --scrapes) SCRAPES=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "ab.sh: unknown argument: $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[[ $# -eq 2 ]] || { echo "ab.sh: give two exporter commands, A and B (--help)" >&2; exit 2; }
CMDS=("$1" "$2")

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/socket-exporter-ab.XXXXXX")
EXP_PID=""
cleanup() {
  [[ -z $EXP_PID ]] || stop_pid "$EXP_PID" exporter
  load_stop
  rm -rf "$TMPD"
}
trap cleanup EXIT

proc_cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / hz }' "/proc/$1/stat"; }

load_start "$CONNECTIONS"
for (( r = 1; r <= ROUNDS; r++ )); do
  for x in 0 1; do
    name=$([[ $x == 0 ]] && echo A || echo B)
    dir="$TMPD/$name"; mkdir -p "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    url="http://127.0.0.1:$port/metrics"
    bash -c "exec ${CMDS[$x]} --web.listen-address=127.0.0.1:$port" </dev/null >"$dir/log" 2>&1 3>&- &
    EXP_PID=$!
    for (( i = 0; i < 6000; i++ )); do
      kill -0 "$EXP_PID" 2>/dev/null || { echo "ab.sh: $name exited:" >&2; tail "$dir/log" >&2; exit 1; }
      [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 60 "$url" || true) == 200 ]] && break
      sleep 0.05
    done
    for (( i = 0; i < WARMUP; i++ )); do curl -s -o /dev/null --max-time 120 "$url"; done
    for (( i = 0; i < SCRAPES; i++ )); do
      c0=$(proc_cpu_s "$EXP_PID")
      t=$(curl -sS -o "$dir/body" -w '%{time_total}' --max-time 120 "$url")
      c1=$(proc_cpu_s "$EXP_PID")
      echo "$t $(awk -v a="$c0" -v b="$c1" 'BEGIN { print b - a }')" >>"$dir/scrapes"
      grep -E '^socket_exporter_(collector|read)_duration_seconds' "$dir/body" >>"$dir/durations" || true
    done
    awk '$1 == "VmHWM:" { print $2 }' "/proc/$EXP_PID/status" >>"$dir/hwm"
    stop_pid "$EXP_PID" "$name"; EXP_PID=""
    echo "== round $r: $name done" >&2
  done
done

python3 - "$TMPD" "${CMDS[@]}" <<'PY'
import re, statistics, sys
from collections import defaultdict
tmpd, cmds = sys.argv[1], sys.argv[2:]
med = statistics.median
print(f"medians per build (times in ms); host load average {open('/proc/loadavg').read().split()[:3]}")
rows = {}
for name, cmd in zip("AB", cmds):
    scr = [tuple(map(float, l.split())) for l in open(f"{tmpd}/{name}/scrapes")]
    d = defaultdict(list)
    for line in open(f"{tmpd}/{name}/durations"):
        m = re.match(r'socket_exporter_(collector|read)_duration_seconds\{(?:collector|phase)="([^"]+)"\} (\S+)', line)
        if m:
            d[("read " if m[1] == "read" else "") + m[2]].append(float(m[3]))
    hwm = [int(x) for x in open(f"{tmpd}/{name}/hwm").read().split()]
    collectors = sum(med(v) for k, v in d.items() if not k.startswith("read "))
    read = max((med(v) for k, v in d.items() if k.startswith("read ")), default=0)
    r = {"scrape": med(s for s, _ in scr), "cpu/scrape": med(c for _, c in scr),
         "collectors (sum)": collectors, "rest (registry, text, HTTP)": med(s for s, _ in scr) - read - collectors}
    r.update({k: med(v) for k, v in sorted(d.items())})
    r["VmHWM MiB"] = med(hwm) / 1024
    rows[name] = r
    print(f"{name}: {cmd}  ({len(scr)} scrapes)")
keys = list(dict.fromkeys(k for r in rows.values() for k in r))
w = max(map(len, keys))
print(f"{'':<{w}}  {'A':>10}  {'B':>10}  {'B/A':>6}")
for k in keys:
    a, b = rows["A"].get(k), rows["B"].get(k)
    unit = 1 if k.startswith("VmHWM") else 1000
    fa = "-" if a is None else f"{a * unit:.1f}"
    fb = "-" if b is None else f"{b * unit:.1f}"
    q = f"{b / a:.2f}" if a and b is not None else "-"
    print(f"{k:<{w}}  {fa:>10}  {fb:>10}  {q:>6}")
PY
