#!/usr/bin/env bash
# SocketExporter benchmark: for each load size, build a loopback socket load (bench/loadgen.py), start the exporter
# and node_exporter (tcpstat+sockstat only: the cost of counting alone), time /metrics scrapes of both interleaved,
# and `ss -tuanp` and `lsof -nP -i` against the same load; then check the exporter's counts against `ss` at the
# same moment. See bench/README.md.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/run.sh [options]
  --connections LIST    load sizes, comma-separated (default 10000,50000); one whole run per size
  --exporter CMD        command that starts the exporter; gets --web.listen-address=127.0.0.1:PORT appended
                        (default: the NativeAOT binary artifacts/aot/<rid>/socket_exporter from
                        scripts/publish-aot.sh, else dotnet src/SocketExporter/bin/Release/net10.0/socket_exporter.dll)
  --no-exporter         only build the load and time ss / lsof / node_exporter
  --node-exporter PATH  node_exporter binary (default: prometheus-node-exporter or node_exporter on PATH;
                        skipped with a note when there is none)
  --no-node-exporter    do not run node_exporter
  --scrapes N           timed scrapes of each exporter (default 50 up to 20,000 connections, else 20);
                        5 warm-up scrapes each come first
  --ss-runs N           ss -tuanp runs (default: scrapes/5, at least 1)
  --lsof-runs N         lsof -nP -i runs (default 3)
  --loadgen-args STR    extra arguments for loadgen.py, e.g. "--listeners 400"
  --out FILE            JSON result, every size (default bench/results/latest.json)
  -h, --help
Commands run from the repository root. Run as root (ss -p, lsof and the exporter must see every process's fds).
EOF
}

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/lib/load.sh
source "$BENCH_DIR/lib/load.sh"

case "$(uname -m)" in aarch64 | arm64) RID=linux-arm64 ;; *) RID=linux-x64 ;; esac
AOT_BINARY="artifacts/aot/$RID/socket_exporter"
if [[ -x $AOT_BINARY ]]; then EXPORTER=$AOT_BINARY; else EXPORTER="dotnet src/SocketExporter/bin/Release/net10.0/socket_exporter.dll"; fi
SIZES="10000,50000"
NO_EXPORTER=0
NODE_EXPORTER=""
NO_NODE_EXPORTER=0
SCRAPES=""
SS_RUNS=""
LSOF_RUNS=3
LOADGEN_ARGS=""
OUT="$BENCH_DIR/results/latest.json"
WARMUP=5
# loadgen draws listener ports from [PORT_BASE, PORT_BASE + 12000): the exactness check counts sockets there only.
PORT_BASE=20000
PORT_SPAN=12000

while [[ $# -gt 0 ]]; do
  case "$1" in
    --connections) SIZES=$2; shift 2 ;;
    --connections=*) SIZES=${1#*=}; shift ;;
    --exporter) EXPORTER=$2; shift 2 ;;
    --exporter=*) EXPORTER=${1#*=}; shift ;;
    --no-exporter) NO_EXPORTER=1; shift ;;
    --node-exporter) NODE_EXPORTER=$2; shift 2 ;;
    --no-node-exporter) NO_NODE_EXPORTER=1; shift ;;
    --scrapes) SCRAPES=$2; shift 2 ;;
    --scrapes=*) SCRAPES=${1#*=}; shift ;;
    --ss-runs) SS_RUNS=$2; shift 2 ;;
    --lsof-runs) LSOF_RUNS=$2; shift 2 ;;
    --loadgen-args) LOADGEN_ARGS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ $SIZES =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "run.sh: --connections must be a comma-separated list of numbers" >&2; exit 2; }
[[ -z $SCRAPES || ( $SCRAPES =~ ^[0-9]+$ && $SCRAPES -ge 1 ) ]] || { echo "run.sh: --scrapes must be >= 1" >&2; exit 2; }
[[ " $LOADGEN_ARGS " != *" --port-base "* ]] || { echo "run.sh: --port-base is fixed at $PORT_BASE (the exactness check relies on it)" >&2; exit 2; }

for tool in python3 curl ss lsof; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found" >&2; exit 1; }
done
if [[ $NO_EXPORTER -eq 0 ]]; then
  exe=${EXPORTER%% *}
  if [[ $EXPORTER == *socket_exporter.dll* ]]; then
    exe=$(grep -o '[^ ]*socket_exporter\.dll' <<<"$EXPORTER" | head -n1)
  fi
  if [[ $exe == */* && ! -e $exe ]]; then
    echo "run.sh: $exe not found; build it first (scripts/publish-aot.sh, or dotnet build -c Release) or pass --exporter / --no-exporter" >&2
    exit 1
  fi
fi
NODE_NOTE=""
if [[ $NO_NODE_EXPORTER -eq 1 ]]; then
  NODE_NOTE="node_exporter: not run (--no-node-exporter)"
elif [[ -z $NODE_EXPORTER ]]; then
  NODE_EXPORTER=$(command -v prometheus-node-exporter || command -v node_exporter || true)
  [[ -n $NODE_EXPORTER ]] || NODE_NOTE="node_exporter: not installed, its columns are skipped (Debian: apt-get install -y prometheus-node-exporter)"
fi
if [[ -n $NODE_EXPORTER && -z $NODE_NOTE ]]; then
  [[ -x $NODE_EXPORTER ]] || { echo "run.sh: --node-exporter $NODE_EXPORTER is not executable" >&2; exit 1; }
  # Counts only, as node_exporter's defaults would add dozens of unrelated collectors: tcpstat (a sock_diag dump of
  # every TCP socket, counted by state) and sockstat (/proc/net/sockstat). --collector.disable-defaults came in v1.2.
  # (The help is read whole first: grep -q would stop reading early, and under pipefail the SIGPIPE fails the check.)
  node_help=$("$NODE_EXPORTER" --help 2>&1 || true)
  [[ $node_help == *--collector.disable-defaults* ]] \
    || { echo "run.sh: $NODE_EXPORTER has no --collector.disable-defaults (node_exporter >= 1.2 needed)" >&2; exit 1; }
  NODE_ARGS="--collector.disable-defaults --collector.tcpstat --collector.sockstat"
else
  NODE_EXPORTER=""
fi
[[ -z $NODE_NOTE ]] || echo "== $NODE_NOTE" >&2

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/socket-exporter-bench.XXXXXX")
EXP_PID=""
NODE_PID=""

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM HUP
  [[ -n $EXP_PID ]] && stop_pid "$EXP_PID" exporter
  [[ -n $NODE_PID ]] && stop_pid "$NODE_PID" node_exporter
  load_stop
  rm -rf "$TMPD"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f\n", b - a }'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
proc_cpu_s() {  # utime+stime of a pid in seconds (proc_pid_stat(5) fields 14 and 15, counted after the comm)
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / hz }' "/proc/$1/stat"
}
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# start_server NAME CMD PORT -> sets STARTED_PID, STARTED_S (start to the first 200 answer)
start_server() {
  local name=$1 cmd=$2 port=$3 t0 code=000 i
  echo "== starting $name: $cmd --web.listen-address=127.0.0.1:$port" >&2
  # exec (also through setpriv) so that $! is the server itself, whose CPU and memory we read; --pdeathsig stops
  # it even if this script is SIGKILLed.
  local pdeath=""
  if [[ $(setpriv --help 2>/dev/null || true) == *--pdeathsig* ]]; then pdeath="setpriv --pdeathsig KILL --"; fi
  t0=$(now)
  bash -c "exec $pdeath $cmd --web.listen-address=127.0.0.1:$port" </dev/null >"$RUN_DIR/$name.log" 2>&1 3>&- &
  STARTED_PID=$!
  for (( i = 0; i < 6000; i++ )); do
    if ! kill -0 "$STARTED_PID" 2>/dev/null; then
      echo "run.sh: $name exited during startup:" >&2; tail -n 30 "$RUN_DIR/$name.log" >&2; exit 1
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 "http://127.0.0.1:$port/metrics" || true)
    [[ $code == 200 ]] && break
    sleep 0.01
  done
  [[ $code == 200 ]] || { echo "run.sh: $name did not answer 200 within 60 s (last: $code)" >&2; tail -n 30 "$RUN_DIR/$name.log" >&2; exit 1; }
  STARTED_S=$(elapsed "$t0" "$(now)")
  echo "== $name pid $STARTED_PID answered 200 after ${STARTED_S}s" >&2
}

scrape() {  # scrape URL OUTFILE TIMES_FILE: one timed scrape; the body stays in OUTFILE
  local code t size
  read -r code t size < <(curl -sS -o "$2" -w '%{http_code} %{time_total} %{size_download}\n' --max-time 120 "$1")
  [[ $code == 200 ]] || { echo "run.sh: $1 returned $code" >&2; exit 1; }
  [[ -z $3 ]] || echo "$t" >>"$3"
  echo "$size" >"$2.size"
}

time_ss() {
  local t0 t1
  t0=$(now); ss -tuanp >/dev/null; t1=$(now); elapsed "$t0" "$t1" >>"$RUN_DIR/ss.times"
  t0=$(now); ss -tuan >/dev/null; t1=$(now); elapsed "$t0" "$t1" >>"$RUN_DIR/ssnop.times"
}

meta() { echo "$1=$2" >>"$RUN_DIR/meta"; }

# record_server PREFIX PID CPU0 SCRAPES BODY: CPU per scrape since CPU0, series and bytes of the last body, memory.
record_server() {
  local p=$1 pid=$2 cpu0=$3 n=$4 body=$5
  meta "${p}cpu_s" "$(awk -v a="$cpu0" -v b="$(proc_cpu_s "$pid")" -v n="$n" 'BEGIN { printf "%.4f\n", (b - a) / n }')"
  meta "${p}series" "$(grep -cv -e '^#' -e '^$' "$body" || true)"
  meta "${p}bytes" "$(cat "$body.size")"
  meta "${p}rss_kib" "$(status_kib "$pid" VmRSS)"
  meta "${p}hwm_kib" "$(status_kib "$pid" VmHWM)"
}

# The exporter's listeners and per-state connection counts of the load against ss around one scrape
# (bench/lib/exactness.py); up to 3 tries while the load is not still.
check_exactness() {
  local url=$1 try rc=3
  local ports="$PORT_BASE-$(( PORT_BASE + PORT_SPAN - 1 ))"
  echo "== exactness: the load's listeners and connections in /metrics against ss at the same moment" >&2
  for (( try = 1; try <= 3 && rc == 3; try++ )); do
    ss -Htlnp >"$RUN_DIR/ss-listeners.txt"
    ss -Htan >"$RUN_DIR/ss-before.txt"
    scrape "$url" "$RUN_DIR/exact.body" ""
    ss -Htan >"$RUN_DIR/ss-after.txt"
    rc=0
    python3 "$BENCH_DIR/lib/exactness.py" --body "$RUN_DIR/exact.body" --ss-before "$RUN_DIR/ss-before.txt" \
      --ss-after "$RUN_DIR/ss-after.txt" --ss-listeners "$RUN_DIR/ss-listeners.txt" --ports "$ports" \
      >"$RUN_DIR/exactness.txt" || rc=$?
  done
  case $rc in
    0) meta exactness OK ;;
    1) meta exactness MISMATCH ;;
    *) meta exactness UNSTABLE; echo "exactness: UNSTABLE (the load's sockets moved during each of 3 tries)" >>"$RUN_DIR/exactness.txt" ;;
  esac
}

run_size() {
  local connections=$1 scrapes=$SCRAPES ss_runs=$SS_RUNS i
  RUN_DIR="$TMPD/$connections"
  mkdir -p "$RUN_DIR"
  : >"$RUN_DIR/meta"
  if [[ -z $scrapes ]]; then
    # At 50,000 connections one ss -tuanp takes seconds: fewer rounds keep a run within minutes.
    if (( connections <= 20000 )); then scrapes=50; else scrapes=20; fi
  fi
  if [[ -z $ss_runs ]]; then ss_runs=$(( scrapes / 5 )); (( ss_runs >= 1 )) || ss_runs=1; fi
  # shellcheck disable=SC2086  # LOADGEN_ARGS is deliberately word-split
  load_start "$connections" --port-base "$PORT_BASE" $LOADGEN_ARGS
  cp "$LOAD_JSON" "$RUN_DIR/load.json"
  for f in scrape.times node.times ss.times ssnop.times lsof.times; do : >"$RUN_DIR/$f"; done
  meta connections "$connections"

  local url="" node_url="" cpu0 ncpu0
  if [[ $NO_EXPORTER -eq 0 ]]; then
    local port; port=$(free_port)
    url="http://127.0.0.1:$port/metrics"
    start_server exporter "$EXPORTER" "$port"
    EXP_PID=$STARTED_PID; meta startup_s "$STARTED_S"
  fi
  if [[ -n $NODE_EXPORTER ]]; then
    local nport; nport=$(free_port)
    node_url="http://127.0.0.1:$nport/metrics"
    start_server node_exporter "$NODE_EXPORTER $NODE_ARGS" "$nport"
    NODE_PID=$STARTED_PID; meta node_startup_s "$STARTED_S"
  fi

  if [[ -n $url || -n $node_url ]]; then
    echo "== $WARMUP warm-up + $scrapes timed scrapes of each exporter, interleaved; ss -tuanp after every 5th" >&2
    for (( i = 0; i < WARMUP; i++ )); do
      [[ -z $url ]] || scrape "$url" "$RUN_DIR/warmup.body" ""
      [[ -z $node_url ]] || scrape "$node_url" "$RUN_DIR/warmup.body" ""
    done
    [[ -z $url ]] || cpu0=$(proc_cpu_s "$EXP_PID")
    [[ -z $node_url ]] || ncpu0=$(proc_cpu_s "$NODE_PID")
    for (( i = 1; i <= scrapes; i++ )); do
      [[ -z $url ]] || scrape "$url" "$RUN_DIR/scrape.body" "$RUN_DIR/scrape.times"
      [[ -z $node_url ]] || scrape "$node_url" "$RUN_DIR/node.body" "$RUN_DIR/node.times"
      if (( i % 5 == 0 )) && (( $(wc -l <"$RUN_DIR/ss.times") < ss_runs )); then time_ss; fi
    done
    [[ -z $url ]] || record_server "" "$EXP_PID" "$cpu0" "$scrapes" "$RUN_DIR/scrape.body"
    [[ -z $node_url ]] || record_server node_ "$NODE_PID" "$ncpu0" "$scrapes" "$RUN_DIR/node.body"
  fi

  while (( $(wc -l <"$RUN_DIR/ss.times") < ss_runs )); do time_ss; done
  echo "== timing lsof -nP -i x$LSOF_RUNS" >&2
  for (( i = 0; i < LSOF_RUNS; i++ )); do
    local t0 t1
    t0=$(now); lsof -nP -i >/dev/null 2>&1 || true; t1=$(now); elapsed "$t0" "$t1" >>"$RUN_DIR/lsof.times"
  done
  meta ss_lines "$(ss -tuan | wc -l)"
  [[ -z $url ]] || check_exactness "$url"
  if kill -0 "$LG_PID" 2>/dev/null; then meta loadgen_alive 1; else meta loadgen_alive 0; echo "run.sh: warning: loadgen died during the benchmark" >&2; fi
  if [[ -n $url ]]; then
    # What the exporter holds between scrapes, as under a real scrape interval: it returns a scrape's memory at
    # most 5 s after its response (ScrapeMemoryReclaimer), so look again 6 s after the last one.
    sleep 6
    meta rss_idle_kib "$(status_kib "$EXP_PID" VmRSS)"
    stop_pid "$EXP_PID" exporter; EXP_PID=""
  fi
  [[ -z $NODE_PID ]] || { stop_pid "$NODE_PID" node_exporter; NODE_PID=""; }
  load_stop

  python3 "$BENCH_DIR/lib/report.py" "$RUN_DIR" "${EXPORTER}" "$NO_EXPORTER" "${NODE_EXPORTER:-}" "$NODE_NOTE"
}

IFS=, read -r -a sizes <<<"$SIZES"
for n in "${sizes[@]}"; do run_size "$n"; done
mkdir -p "$(dirname "$OUT")"
python3 "$BENCH_DIR/lib/report.py" --combine "$OUT" "${sizes[@]/#/$TMPD/}"
