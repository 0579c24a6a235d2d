#!/usr/bin/env bash
# Listener sampler cost: CPU the exporter spends sampling listening tables between scrapes, on the bench load
# (bench/loadgen.py: 200 TCP listeners, 10,000 connections) and with N extra network namespaces (ip netns add) each
# holding K listeners, next to the CPU of one scrape of the same host in the same run. Exporter CPU is
# utime + stime from /proc/PID/stat over idle windows (no scrape) with the sampler off, at the default 1 s, and at
# 10 ms (many looks, for a per-look figure above the idle exporter's own noise). Run as root (setns needs
# CAP_SYS_ADMIN). Cleans up the load, namespaces and processes it made, by pid and name.
#   [MODES="own all"] bench/sampler.sh [NAMESPACES=30] [LISTENERS_PER_NAMESPACE=3] [WINDOW_SECONDS=20] [SCRAPES=5]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-30}
K=${2:-3}
WINDOW=${3:-20}
SCRAPES=${4:-5}
EXPORTER=${EXPORTER:-dotnet src/SocketExporter/bin/Release/net10.0/socket_exporter.dll}
HZ=$(getconf CLK_TCK)
prefix="se-sampler-bench-$$"
pids=()
TMPD=$(mktemp -d "${TMPDIR:-/tmp}/socket-exporter-sampler-bench.XXXXXX")
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for i in $(seq 1 "$N"); do ip netns delete "$prefix-$i" 2>/dev/null || true; done
  rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 143' TERM INT   # so that a timeout or Ctrl-C still runs cleanup

# The bench load, as bench/run.sh builds it (loadgen SIGTERMs its own children when it gets SIGTERM).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
python3 bench/loadgen.py --ignore-stdin >"$TMPD/loadgen.out" 2>"$TMPD/loadgen.err" &
pids+=($!)
for _ in $(seq 1 1200); do grep -q '^READY ' "$TMPD/loadgen.out" && break; sleep 0.1; done
grep -q '^READY ' "$TMPD/loadgen.out" || { echo "sampler.sh: loadgen not READY" >&2; cat "$TMPD/loadgen.err" >&2; exit 1; }

for i in $(seq 1 "$N"); do
  ip netns add "$prefix-$i"
  ip -n "$prefix-$i" link set lo up
  ip netns exec "$prefix-$i" python3 -c '
import socket, sys, time
held = []
for port in range(8080, 8080 + int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", port)); s.listen(); held.append(s)
time.sleep(3600)' "$K" &
  pids+=($!)
done
sleep 1

cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }   # utime + stime (proc_pid_stat(5) 14, 15)
samples() { curl -s "http://127.0.0.1:$1/metrics" | awk '/^socket_exporter_listener_samples_total /{print $2}'; }
sampled_ns() { curl -s "http://127.0.0.1:$1/metrics" | grep -c '^socket_exporter_listener_sampled{.*reason=""} 1' || true; }

# run MODE INTERVAL: starts an exporter, scrapes twice (the sampler starts and learns the namespaces), then idles
# WINDOW seconds. Prints: CPU ms/s idle, sampler looks at a namespace during the window, namespaces sampled, and,
# with the sampler off, CPU ms per scrape over SCRAPES scrapes (less the idle rate over their time).
run() {
  local mode=$1 interval=$2 port epid
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  $EXPORTER --web.listen-address=127.0.0.1:$port --netns.mode="$mode" --listen.sample-interval="$interval" >/dev/null 2>&1 &
  epid=$!
  for _ in $(seq 1 200); do curl -sf -o /dev/null "http://127.0.0.1:$port/-/ready" && break; sleep 0.1; done
  for _ in 1 2; do curl -s -o /dev/null "http://127.0.0.1:$port/metrics"; done
  sleep 2   # let the scrapes' garbage and JIT settle
  local s0 c0 c1 s1 ts0 ts1 ns scrape="-"
  # Looks are counted between two scrapes' readings of the counter (each scrape adds one look per namespace, taken
  # near its end); the CPU window is the idle time between them, so looks are scaled from that span to the window.
  s0=$(samples "$port"); ts0=$(date +%s.%N); c0=$(cpu_ticks "$epid")
  sleep "$WINDOW"
  c1=$(cpu_ticks "$epid"); s1=$(samples "$port"); ts1=$(date +%s.%N)
  ns=$(sampled_ns "$port")
  local looks; looks=$(echo "(${s1%.*} - ${s0%.*} - $ns) * $WINDOW / ($ts1 - $ts0)" | bc -l)
  local idle; idle=$(echo "($c1 - $c0) * 1000 / $HZ / $WINDOW" | bc -l)
  if [[ $interval == 0 ]]; then
    local t0 t1 d0 d1
    d0=$(cpu_ticks "$epid"); t0=$(date +%s.%N)
    for _ in $(seq 1 "$SCRAPES"); do curl -s -o /dev/null "http://127.0.0.1:$port/metrics"; done
    t1=$(date +%s.%N); d1=$(cpu_ticks "$epid")
    scrape=$(echo "(($d1 - $d0) * 1000 / $HZ - $idle * ($t1 - $t0)) / $SCRAPES" | bc -l)
  fi
  kill "$epid"; wait "$epid" 2>/dev/null || true
  printf '%s %.0f %s %s\n' "$idle" "$looks" "$ns" "$scrape"
}

printf 'load: %s\n' "$(sed -n 's/^READY //p' "$TMPD/loadgen.out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["listeners"]["sockets"], "TCP listeners,", d["connections"]["established"], "connections (bench/loadgen.py defaults)")')"
printf 'namespaces made: %d, %d listeners each; idle windows %d s; CLK_TCK %d\n\n' "$N" "$K" "$WINDOW" "$HZ"
printf '%-34s %12s %10s %10s %14s\n' "configuration" "CPU ms/s" "looks" "sampled ns" "scrape CPU ms"
for mode in ${MODES:-own all}; do
  read -r off_idle _ _ off_scrape < <(run "$mode" 0)
  read -r one_idle one_looks one_ns _ < <(run "$mode" 1s)
  read -r fast_idle fast_looks fast_ns _ < <(run "$mode" 10ms)
  printf '%-34s %12.1f %10s %10s %14.1f\n' "$mode: sampler off" "$off_idle" - - "$off_scrape"
  printf '%-34s %12.1f %10d %10d %14s\n' "$mode: sampler 1s" "$one_idle" "$one_looks" "$one_ns" -
  printf '%-34s %12.1f %10d %10d %14s\n' "$mode: sampler 10ms" "$fast_idle" "$fast_looks" "$fast_ns" -
  per_look=$(echo "($fast_idle - $off_idle) * $WINDOW / $fast_looks" | bc -l)
  printf '  %s: %.3f ms CPU per namespace look (10 ms runs); at 1 s: %.2f ms CPU/s for %d namespaces (measured directly: %.1f ms/s over off); one scrape %.1f ms CPU\n\n' \
    "$mode" "$per_look" "$(echo "$per_look * $fast_ns" | bc -l)" "$fast_ns" "$(echo "$one_idle - $off_idle" | bc -l)" "$off_scrape"
done
