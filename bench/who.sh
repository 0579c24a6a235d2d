#!/usr/bin/env bash
# `socket_exporter who :PORT` against `ss -tuanp` and `lsof -nP -i :PORT`, from start to answer, in the same run,
# on a loopback load built by bench/loadgen.py (as bench/run.sh builds it). PORT is the load's busiest listener
# (the most connections accepted on it: the most work for `who`), unless --port is given.
#
#   bench/who.sh [--binary PATH] [--runs N] [--connections N] [--port PORT]
#
# Prints the median wall time of each command over N runs (runs interleaved, so machine noise hits all three
# alike) and who's ratio to each. Issue 13's goal: at most 0.5 of both at 10,000 connections, 0.2 at 50,000.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
cd "$ROOT"

BINARY="artifacts/aot/linux-x64/socket_exporter"
RUNS=11
CONNECTIONS=10000
PORT=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) BINARY=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "who.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ -x $BINARY ]] || { echo "who.sh: $BINARY not found; build it with scripts/publish-aot.sh or pass --binary" >&2; exit 1; }
for tool in python3 ss lsof; do
  command -v "$tool" >/dev/null || { echo "who.sh: $tool not found" >&2; exit 1; }
done
# shellcheck source=bench/lib/load.sh
source "$BENCH_DIR/lib/load.sh"

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/socket-exporter-who.XXXXXX")
cleanup() {
  load_stop
  rm -rf "$TMPD"
}
trap cleanup EXIT

load_start "$CONNECTIONS"

if [[ -z $PORT ]]; then
  # The listening port with the most established connections accepted on it.
  PORT=$(ss -Htn state established | awk '{ n = split($3, a, ":"); print a[n] }' \
    | sort | uniq -c | sort -rn \
    | awk -v listening="$(ss -Htln | awk '{ n = split($4, a, ":"); printf "%s ", a[n] }')" \
        'BEGIN { split(listening, l, " "); for (i in l) L[l[i]] = 1 } ($2 in L) && !found { found = $2 } END { print found }')
fi
[[ -n $PORT ]] || { echo "who.sh: no busy listening port found" >&2; exit 1; }
sockets=$(ss -Htuan | wc -l)
onport=$(ss -Htuan "( sport = :$PORT )" | wc -l)
echo "== load ready: $sockets TCP/UDP sockets on the host, $onport on :$PORT; $RUNS runs each" >&2

now() { date +%s.%N; }
time_cmd() {  # time_cmd FILE CMD...: append the wall seconds of CMD (output discarded)
  local file=$1 t0 t1; shift
  t0=$(now); "$@" >/dev/null 2>&1 || true; t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }' >>"$file"
}
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Exactness before speed: who must name holders on the port.
"$BINARY" who ":$PORT" --output=json >"$TMPD/who.json" || { echo "who.sh: who :$PORT failed" >&2; exit 1; }
rows=$(grep -o '"pid":[0-9]' "$TMPD/who.json" | wc -l)
echo "== who :$PORT: $rows rows with a pid" >&2

: >"$TMPD/who.t"; : >"$TMPD/ss.t"; : >"$TMPD/lsof.t"
time_cmd "$TMPD/who.t" "$BINARY" who ":$PORT"   # warm-up: page cache for the binary
rm -f "$TMPD/who.t"; : >"$TMPD/who.t"
for (( r = 0; r < RUNS; r++ )); do
  time_cmd "$TMPD/who.t" "$BINARY" who ":$PORT"
  time_cmd "$TMPD/ss.t" ss -tuanp
  time_cmd "$TMPD/lsof.t" lsof -nP -i ":$PORT"
done

who_s=$(median "$TMPD/who.t"); ss_s=$(median "$TMPD/ss.t"); lsof_s=$(median "$TMPD/lsof.t")
awk -v c="$CONNECTIONS" -v p="$PORT" -v n="$RUNS" -v s="$sockets" -v w="$who_s" -v ss="$ss_s" -v l="$lsof_s" 'BEGIN {
  printf "connections=%d sockets=%d port=%s runs=%d (medians)\n", c, s, p, n
  printf "  who :%s          %7.1f ms\n", p, w * 1000
  printf "  ss -tuanp         %7.1f ms   who/ss   = %.2f\n", ss * 1000, w / ss
  printf "  lsof -nP -i :%s  %7.1f ms   who/lsof = %.2f\n", p, l * 1000, w / l
}'
