#!/usr/bin/env bash
# Start-up: time from exec to the first complete 200 answer on /metrics, socket_exporter (NativeAOT) against
# node_exporter with its default collectors, in the same run, runs alternated so machine noise hits both alike.
#
#   bench/startup.sh [--binary PATH] [--node-exporter PATH] [--runs N] [--floor]
#
# Each run starts the binary on a free loopback port and polls /metrics every millisecond from the moment of exec
# (one poller for both, so its own cost is the same for each); the time is when the whole first 200 answer has
# arrived. Prints each exporter's median and min over N runs and the ratio of the medians. Issue 14's goal: the
# first scrape answered no later than node_exporter's on the same idle host.
# --floor adds a third program to the alternation: bench/startup-floor, the mandated /metrics stack alone (ASP.NET
# Core slim builder, Kestrel, prometheus-net.AspNetCore, one gauge, nothing read), published NativeAOT to
# artifacts/floor the first time (~30 s, needs clang): the part of start-up no change to the exporter can remove.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
cd "$ROOT"

BINARY="artifacts/aot/linux-x64/socket_exporter"
NODE_EXPORTER=""
RUNS=15
FLOOR=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) BINARY=$2; shift 2 ;;
    --node-exporter) NODE_EXPORTER=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --floor) FLOOR=artifacts/floor/startup_floor; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "startup.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ -x $BINARY ]] || { echo "startup.sh: $BINARY not found; build it with scripts/publish-aot.sh or pass --binary" >&2; exit 1; }
if [[ -z $NODE_EXPORTER ]]; then
  NODE_EXPORTER=$(command -v node_exporter || command -v prometheus-node-exporter || true)
fi
[[ -n $NODE_EXPORTER && -x $NODE_EXPORTER ]] || {
  echo "startup.sh: node_exporter not found (apt-get install prometheus-node-exporter, or --node-exporter PATH)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "startup.sh: python3 not found" >&2; exit 1; }
if [[ -n $FLOOR ]] && { [[ ! -x $FLOOR ]] || [[ -n $(find bench/startup-floor -newer "$FLOOR" -name '*.cs*') ]]; }; then
  echo "startup.sh: publishing bench/startup-floor (NativeAOT) to artifacts/floor" >&2
  dotnet publish bench/startup-floor -c Release -r "$([[ $(uname -m) == aarch64 ]] && echo linux-arm64 || echo linux-x64)" \
    -p:PublishAot=true -p:CppCompilerAndLinker=clang -p:StripSymbols=true --artifacts-path artifacts/floor-build \
    -o artifacts/floor -nologo -tl:off -nodeReuse:false -p:UseSharedCompilation=false >/dev/null \
    || { echo "startup.sh: publishing bench/startup-floor failed" >&2; exit 1; }
fi

exec python3 - "$BINARY" "$NODE_EXPORTER" "$RUNS" "$FLOOR" <<'PY'
import http.client, os, signal, socket, statistics, subprocess, sys, time

binary, node_exporter, runs, floor = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
programs = {"socket_exporter": binary, "node_exporter": node_exporter}
if floor:
    programs["mandated stack"] = floor

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def first_answer(argv, port):
    """Seconds from exec to the whole first 200 on /metrics; the process is stopped (by its pid) afterwards."""
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"startup.sh: {argv[0]} exited with {proc.returncode} before answering")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/metrics")
                resp = resp_body = None
                resp = conn.getresponse()
                resp_body = resp.read()
                conn.close()
                if resp.status == 200 and resp_body:
                    return time.monotonic() - t0
            except (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected):
                pass
            time.sleep(0.001)
            if time.monotonic() - t0 > 60:
                raise SystemExit(f"startup.sh: {argv[0]} did not answer within 60 s")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

times = {name: [] for name in programs}
for i in range(runs):
    # Rotated, so that no program always runs right after the same one.
    names = list(programs)
    order = names[i % len(names):] + names[:i % len(names)]
    for name in order:
        port = free_port()
        times[name].append(first_answer([programs[name], f"--web.listen-address=127.0.0.1:{port}"], port))

se, ne = statistics.median(times["socket_exporter"]), statistics.median(times["node_exporter"])
print(f"exec -> first 200 on /metrics, {runs} runs alternated (load average {os.getloadavg()[0]:.2f}):")
for name in programs:
    print(f"  {name:16s} median {statistics.median(times[name]) * 1000:7.1f} ms   min {min(times[name]) * 1000:7.1f} ms")
print(f"  ratio (socket_exporter / node_exporter, medians): {se / ne:.2f}")
if floor:
    fl = statistics.median(times["mandated stack"])
    print(f"  ratio (mandated stack / node_exporter, medians): {fl / ne:.2f}; socket_exporter less the mandated stack: {(se - fl) * 1000:.1f} ms")
PY
