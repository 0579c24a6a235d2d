#!/usr/bin/env bash
# SocketExporter benchmark: build a loopback socket load (bench/loadgen.py),
# start the exporter, time /metrics scrapes and compare with `ss -tuanp` and
# `lsof -nP -i` run against the same load. See bench/README.md.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/run.sh [options]
  --exporter CMD        command that starts the exporter; gets
                        --web.listen-address=127.0.0.1:PORT appended
                        (default: dotnet src/SocketExporter/bin/Release/net10.0/socket_exporter.dll)
  --no-exporter         only build the load and time ss / lsof
  --scrapes N           timed scrapes (default 50); 5 warm-up scrapes come first
  --ss-runs N           ss -tuanp runs (default: scrapes/5, at least 1)
  --lsof-runs N         lsof -nP -i runs (default 3)
  --port PORT           exporter port (default: a free port)
  --loadgen-args STR    extra arguments for loadgen.py, e.g. "--connections 20000"
  --out FILE            JSON result (default bench/results/latest.json)
  -h, --help
Commands run from the repository root.
EOF
}

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
cd "$ROOT"

EXPORTER="dotnet src/SocketExporter/bin/Release/net10.0/socket_exporter.dll"
NO_EXPORTER=0
SCRAPES=50
SS_RUNS=""
LSOF_RUNS=3
PORT=""
LOADGEN_ARGS=""
OUT="$BENCH_DIR/results/latest.json"
WARMUP=5

while [[ $# -gt 0 ]]; do
  case "$1" in
    --exporter) EXPORTER=$2; shift 2 ;;
    --exporter=*) EXPORTER=${1#*=}; shift ;;
    --no-exporter) NO_EXPORTER=1; shift ;;
    --scrapes) SCRAPES=$2; shift 2 ;;
    --scrapes=*) SCRAPES=${1#*=}; shift ;;
    --ss-runs) SS_RUNS=$2; shift 2 ;;
    --lsof-runs) LSOF_RUNS=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --loadgen-args) LOADGEN_ARGS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
[[ $SCRAPES =~ ^[0-9]+$ && $SCRAPES -ge 1 ]] || { echo "run.sh: --scrapes must be >= 1" >&2; exit 2; }
if [[ -z $SS_RUNS ]]; then SS_RUNS=$(( SCRAPES / 5 )); (( SS_RUNS >= 1 )) || SS_RUNS=1; fi

for tool in python3 curl ss lsof; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found" >&2; exit 1; }
done
if [[ $NO_EXPORTER -eq 0 && $EXPORTER == *socket_exporter.dll* ]]; then
  dll=$(grep -o '[^ ]*socket_exporter\.dll' <<<"$EXPORTER" | head -n1)
  if [[ ! -f $dll ]]; then
    echo "run.sh: $dll not found; build it first (dotnet build -c Release) or pass --exporter / --no-exporter" >&2
    exit 1
  fi
fi

# The hard limit may not be raisable (containers); the load spreads fds over
# ~100 processes, so the soft limit raised to the hard one is plenty.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

TMPD=$(mktemp -d "${TMPDIR:-/tmp}/socket-exporter-bench.XXXXXX")
LG_PID=""
EXP_PID=""

stop_pid() {  # stop_pid PID NAME: SIGTERM, wait up to 10 s, then SIGKILL
  local pid=$1 name=$2 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for (( i = 0; i < 100; i++ )); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "run.sh: $name (pid $pid) ignored SIGTERM, sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM HUP
  [[ -n $EXP_PID ]] && stop_pid "$EXP_PID" exporter
  if [[ -n $LG_PID ]]; then
    exec 3>&-                 # EOF on loadgen's stdin starts its teardown
    stop_pid "$LG_PID" loadgen
  fi
  rm -rf "$TMPD"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f\n", b - a }'; }

# ---------------------------------------------------------------- load
echo "== building load (python3 bench/loadgen.py $LOADGEN_ARGS)" >&2
mkfifo "$TMPD/loadgen.in"
# shellcheck disable=SC2086  # LOADGEN_ARGS is deliberately word-split
python3 "$BENCH_DIR/loadgen.py" $LOADGEN_ARGS <"$TMPD/loadgen.in" >"$TMPD/loadgen.out" 2>"$TMPD/loadgen.err" &
LG_PID=$!
exec 3>"$TMPD/loadgen.in"     # hold the write end; closing it stops loadgen

ready=""
for (( i = 0; i < 1200; i++ )); do
  if ready=$(grep -m1 '^READY ' "$TMPD/loadgen.out"); then break; fi
  if ! kill -0 "$LG_PID" 2>/dev/null; then
    echo "run.sh: loadgen exited before READY:" >&2; cat "$TMPD/loadgen.err" >&2; exit 1
  fi
  sleep 0.1
done
[[ -n $ready ]] || { echo "run.sh: loadgen not READY after 120 s" >&2; cat "$TMPD/loadgen.err" >&2; exit 1; }
printf '%s\n' "${ready#READY }" >"$TMPD/load.json"
echo "== load ready: ${ready#READY }" >&2

: >"$TMPD/scrape.times"; : >"$TMPD/ss.times"; : >"$TMPD/ssnop.times"; : >"$TMPD/lsof.times"
BODY="$TMPD/scrape.body"
: >"$BODY"
SERIES=""; BYTES=""; RSS_KB=""; RSS_IDLE_KB=""; HWM_KB=""; CPU_S=""; STARTUP_S=""

time_ss() {
  local t0 t1
  t0=$(now); ss -tuanp >/dev/null; t1=$(now); elapsed "$t0" "$t1" >>"$TMPD/ss.times"
  t0=$(now); ss -tuan >/dev/null; t1=$(now); elapsed "$t0" "$t1" >>"$TMPD/ssnop.times"
}

proc_cpu_s() {  # utime+stime of a pid in seconds
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / hz }' "/proc/$1/stat"
}

# ---------------------------------------------------------------- exporter
if [[ $NO_EXPORTER -eq 0 ]]; then
  if [[ -z $PORT ]]; then
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  fi
  URL="http://127.0.0.1:$PORT/metrics"
  echo "== starting exporter: $EXPORTER --web.listen-address=127.0.0.1:$PORT" >&2
  t_start=$(now)
  # exec (also through setpriv) so that $! is the exporter itself, whose VmRSS
  # we report; --pdeathsig stops it even if this script is SIGKILLed.
  PDEATH=""
  if setpriv --help 2>/dev/null | grep -q -- --pdeathsig; then PDEATH="setpriv --pdeathsig KILL --"; fi
  bash -c "exec $PDEATH $EXPORTER --web.listen-address=127.0.0.1:$PORT" </dev/null >"$TMPD/exporter.log" 2>&1 3>&- &
  EXP_PID=$!
  code=000
  for (( i = 0; i < 600; i++ )); do
    if ! kill -0 "$EXP_PID" 2>/dev/null; then
      echo "run.sh: exporter exited during startup:" >&2; tail -n 30 "$TMPD/exporter.log" >&2; exit 1
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$URL" || true)
    [[ $code == 200 ]] && break
    sleep 0.1
  done
  if [[ $code != 200 ]]; then
    echo "run.sh: $URL did not answer 200 within 60 s (last: $code)" >&2; tail -n 30 "$TMPD/exporter.log" >&2; exit 1
  fi
  STARTUP_S=$(elapsed "$t_start" "$(now)")
  echo "== exporter pid $EXP_PID answered 200 after ${STARTUP_S}s; $WARMUP warm-up + $SCRAPES timed scrapes" >&2

  scrape() {  # scrape OUTFILE -> prints "code time_total size_download"
    curl -sS -o "$1" -w '%{http_code} %{time_total} %{size_download}\n' --max-time 120 "$URL"
  }
  for (( i = 0; i < WARMUP; i++ )); do
    read -r code _ _ < <(scrape /dev/null)
    [[ $code == 200 ]] || { echo "run.sh: warm-up scrape returned $code" >&2; exit 1; }
  done
  cpu0=$(proc_cpu_s "$EXP_PID")
  for (( i = 1; i <= SCRAPES; i++ )); do
    read -r code t size < <(scrape "$BODY")
    [[ $code == 200 ]] || { echo "run.sh: scrape $i returned $code" >&2; exit 1; }
    echo "$t" >>"$TMPD/scrape.times"
    BYTES=$size
    # interleave ss runs so both see the same load (one per 5 scrapes)
    if (( i % 5 == 0 )) && (( $(wc -l <"$TMPD/ss.times") < SS_RUNS )); then time_ss; fi
  done
  cpu1=$(proc_cpu_s "$EXP_PID")
  CPU_S=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$SCRAPES" 'BEGIN { printf "%.4f\n", (b - a) / n }')
  SERIES=$(grep -cv -e '^#' -e '^$' "$BODY" || true)
  RSS_KB=$(awk '/^VmRSS:/ { print $2 }' "/proc/$EXP_PID/status")
  HWM_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$EXP_PID/status")
  # What the exporter holds between scrapes, as under a real scrape interval: the exporter returns a scrape's
  # memory at most 5 s after its response (ScrapeMemoryReclaimer), so look again 6 s after the last one.
  sleep 6
  RSS_IDLE_KB=$(awk '/^VmRSS:/ { print $2 }' "/proc/$EXP_PID/status")
fi

# ---------------------------------------------------------------- ss / lsof
while (( $(wc -l <"$TMPD/ss.times") < SS_RUNS )); do time_ss; done
echo "== timing lsof -nP -i x$LSOF_RUNS" >&2
for (( i = 0; i < LSOF_RUNS; i++ )); do
  t0=$(now); lsof -nP -i >/dev/null 2>&1 || true; t1=$(now); elapsed "$t0" "$t1" >>"$TMPD/lsof.times"
done
SS_LINES=$(ss -tuanp | wc -l)
LG_ALIVE=$(kill -0 "$LG_PID" 2>/dev/null && echo 1 || echo 0)
[[ $LG_ALIVE == 1 ]] || echo "run.sh: warning: loadgen died during the benchmark" >&2

# ---------------------------------------------------------------- report
mkdir -p "$(dirname "$OUT")"
B_NO_EXPORTER=$NO_EXPORTER B_EXPORTER=$EXPORTER B_SERIES=$SERIES B_BYTES=$BYTES \
B_RSS=$RSS_KB B_RSS_IDLE=$RSS_IDLE_KB B_HWM=$HWM_KB B_CPU=$CPU_S B_STARTUP=$STARTUP_S B_SS_LINES=$SS_LINES B_LG_ALIVE=$LG_ALIVE \
  python3 - "$TMPD" "$OUT" <<'PY'
import datetime, json, math, os, platform, statistics, sys
env = os.environ
tmpd, out = sys.argv[1], sys.argv[2]

def samples(name):
    with open(f"{tmpd}/{name}") as f:
        return [float(x) for x in f.read().split()]

def med(xs):
    return round(statistics.median(xs), 6) if xs else None

def p90(xs):  # nearest rank
    return round(sorted(xs)[math.ceil(0.9 * len(xs)) - 1], 6) if xs else None

def num(name, conv=int):
    v = env.get(name, "").strip()
    return conv(v) if v else None

scr, ss, ssnop, lsof = (samples(n) for n in ("scrape.times", "ss.times", "ssnop.times", "lsof.times"))
load = json.load(open(f"{tmpd}/load.json"))
res = {
    "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "host": {"kernel": platform.release(), "cpus": os.cpu_count()},
    "exporter": None if env["B_NO_EXPORTER"] == "1" else env["B_EXPORTER"],
    "scrapes": len(scr),
    "scrape_median_s": med(scr),
    "scrape_p90_s": p90(scr),
    "scrape_min_s": round(min(scr), 6) if scr else None,
    "scrape_max_s": round(max(scr), 6) if scr else None,
    "ss_tuanp_runs": len(ss),
    "ss_tuanp_median_s": med(ss),
    "ss_tuan_no_p_median_s": med(ssnop),
    "lsof_runs": len(lsof),
    "lsof_nP_i_median_s": med(lsof),
    "ratio_scrape_to_ss": round(med(scr) / med(ss), 3) if scr and ss else None,
    "series": num("B_SERIES"),
    "response_bytes": num("B_BYTES"),
    "exporter_rss_kib": num("B_RSS"),
    "exporter_peak_rss_kib": num("B_HWM"),
    "exporter_rss_between_scrapes_kib": num("B_RSS_IDLE"),
    "exporter_cpu_s_per_scrape": num("B_CPU", float),
    "exporter_startup_s": num("B_STARTUP", float),
    "ss_tuanp_lines": num("B_SS_LINES"),
    "loadgen_alive_at_end": env["B_LG_ALIVE"] == "1",
    "load": load,
    "samples": {"scrape_s": scr, "ss_tuanp_s": ss, "ss_tuan_s": ssnop, "lsof_s": lsof},
}
with open(out, "w") as f:
    json.dump(res, f, indent=2)
    f.write("\n")

def fmt(v, unit=""):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4f}{unit}"
    return f"{v}{unit}"

p, l, c, u = load["processes"], load["listeners"], load["connections"], load["udp"]
rows = [
    ("scrape median", fmt(res["scrape_median_s"], " s")),
    ("scrape p90", fmt(res["scrape_p90_s"], " s")),
    (f"ss -tuanp median ({len(ss)} runs)", fmt(res["ss_tuanp_median_s"], " s")),
    ("  (ss -tuan, no -p, median)", fmt(res["ss_tuan_no_p_median_s"], " s")),
    (f"lsof -nP -i median ({len(lsof)} runs)", fmt(res["lsof_nP_i_median_s"], " s")),
    ("ratio scrape / ss -tuanp", fmt(res["ratio_scrape_to_ss"])),
    ("series in one scrape", fmt(res["series"])),
    ("response bytes", fmt(res["response_bytes"])),
    ("exporter VmRSS after scrapes", "-" if res["exporter_rss_kib"] is None
        else f"{res['exporter_rss_kib'] / 1024:.1f} MiB (peak {res['exporter_peak_rss_kib'] / 1024:.1f} MiB)"),
    ("exporter VmRSS 6 s later", "-" if res["exporter_rss_between_scrapes_kib"] is None
        else f"{res['exporter_rss_between_scrapes_kib'] / 1024:.1f} MiB (between scrapes)"),
    ("exporter CPU per scrape", fmt(res["exporter_cpu_s_per_scrape"], " s")),
    ("load: processes", f"{p['total']} ({p['server']} server incl. {p['prefork_groups']}x(1+{p['prefork_workers'] // max(p['prefork_groups'], 1)}) prefork, {p['client']} client)"),
    ("load: TCP listeners", f"{l['sockets']} sockets / {l['endpoints']} endpoints ({l['ipv4']} v4, {l['ipv6']} v6; {l['reuseport_pairs']} reuseport pairs)"),
    ("load: ESTABLISHED conns", f"{c['established']} ({c['socket_ends']} socket ends; kernel sees {load['kernel_tcp_established_loopback']})"),
    ("load: UDP sockets", f"{u['bound']} bound + {u['connected']} connected"),
    ("load: build time", fmt(load["build_seconds"], " s")),
]
w = max(len(k) for k, _ in rows)
print()
print(f"SocketExporter bench ({res['scrapes']} scrapes) -- {res['exporter'] or 'no exporter'}")
print("-" * (w + 40))
for k, v in rows:
    print(f"{k:<{w}}  {v}")
print("-" * (w + 40))
print(f"JSON: {out}")
PY
