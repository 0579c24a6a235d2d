#!/usr/bin/env bash
# Scrape cost per extra network namespace: makes N namespaces (ip netns add), each with a process holding a
# listener, and times scrapes with --netns.mode=own (the exporter's namespace only) against --netns.mode=all
# (setns + sock_diag) and --netns.method=procfs (/proc/PID/net). Prints the median of each and the cost per
# namespace. Run as root. Cleans up the namespaces and processes it made, by name and pid.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-30}
SCRAPES=${2:-40}
EXPORTER=${EXPORTER:-dotnet src/SocketExporter/bin/Release/net10.0/socket_exporter.dll}
prefix="se-bench-$$"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for i in $(seq 1 "$N"); do ip netns delete "$prefix-$i" 2>/dev/null || true; done
}
trap cleanup EXIT

for i in $(seq 1 "$N"); do
  ip netns add "$prefix-$i"
  ip -n "$prefix-$i" link set lo up
  ip netns exec "$prefix-$i" python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",8080)); s.listen(); time.sleep(3600)' &
  pids+=($!)
done
sleep 1

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() {
  local port; port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  $EXPORTER --web.listen-address=127.0.0.1:$port "$@" >/dev/null 2>&1 &
  local epid=$!
  for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/-/ready" && break; sleep 0.1; done
  for _ in 1 2 3 4 5; do curl -s -o /dev/null "http://127.0.0.1:$port/metrics"; done
  local m; m=$(for _ in $(seq 1 "$SCRAPES"); do curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/metrics"; done | median)
  local ns; ns=$(curl -s "http://127.0.0.1:$port/metrics" | grep -c '^socket_exporter_netns_read{' || true)
  local same; same=$(for t in /proc/$epid/task/*; do readlink "$t/ns/net"; done | sort -u | wc -l)
  kill "$epid"; wait "$epid" 2>/dev/null || true
  echo "$m $ns $same"
}

read -r own own_ns own_same < <(measure --netns.mode=own)
read -r all all_ns all_same < <(measure --netns.mode=all)
read -r pfs pfs_ns pfs_same < <(measure --netns.mode=all --netns.method=procfs)
printf 'namespaces made             %d\n' "$N"
printf 'own only     median %.4f s  (%d namespace read)\n' "$own" "$own_ns"
printf 'all (setns)  median %.4f s  (%d namespaces read)  per extra namespace %.2f ms\n' "$all" "$all_ns" \
  "$(echo "($all - $own) * 1000 / ($all_ns - $own_ns)" | bc -l)"
printf 'all (procfs) median %.4f s  (%d namespaces read)  per extra namespace %.2f ms\n' "$pfs" "$pfs_ns" \
  "$(echo "($pfs - $own) * 1000 / ($pfs_ns - $own_ns)" | bc -l)"
printf 'exporter threads in distinct network namespaces after the scrapes: %s / %s / %s (1 = never left its own)\n' "$own_same" "$all_same" "$pfs_same"
