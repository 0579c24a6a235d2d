#!/usr/bin/env bash
# Fuzzes every parser (or the named ones) with afl-fuzz and SharpFuzz, N seconds each, one after the other.
#
#   scripts/fuzz.sh [--seconds N] [TARGET...]        default: 10 seconds, every target
#   scripts/fuzz.sh --list                           the target names
#
# Builds tools/fuzz/SocketExporter.Fuzz into artifacts/fuzz/bin, copies it to artifacts/fuzz/afl and instruments
# the parser assemblies there (SocketExporter.Linux, socket_exporter, YamlDotNet); the repository's own build is
# never instrumented. Each target starts from its seeds (the fixtures, tools/fuzz/seeds). An input that makes a target
# throw anything outside its contract, hang or kill the process is a crash: it is copied to
# artifacts/fuzz/findings/TARGET/ (replay: dotnet artifacts/fuzz/bin/SocketExporter.Fuzz.dll run TARGET FILE) and the
# script fails. The last line is always "fuzz: T targets, E executions, C crashes".
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=10
targets=()
list=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --seconds=*) seconds="${1#*=}"; shift ;;
    --list) list=1; shift ;;
    -*) echo "usage: scripts/fuzz.sh [--seconds N] [TARGET...] | --list" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done

root=artifacts/fuzz
bin=$root/bin
afl=$root/afl
work=$root/work
findings=$root/findings
log=$root/fuzz.log
mkdir -p "$root"
: > "$log"

if ! command -v afl-fuzz >/dev/null; then
  echo "installing afl++" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >>"$log" 2>&1
  apt-get install -y -qq --no-install-recommends afl++ >>"$log" 2>&1
fi
if [ ! -x $root/tools/sharpfuzz ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path $root/tools >>"$log" 2>&1
fi

# Plain build (seeds, replay) and an instrumented copy (afl-fuzz). Instrumented code may only run inside
# Fuzzer.Run, which maps afl's coverage memory; anywhere else it writes through a null pointer.
dotnet build tools/fuzz/SocketExporter.Fuzz -c Release -nologo -v quiet -o "$bin" >>"$log" 2>&1 \
  || { tail -30 "$log" >&2; echo "fuzz: 0 targets, 0 executions, 0 crashes (build failed)"; exit 1; }
rm -rf "$afl"
cp -r "$bin" "$afl"
for assembly in SocketExporter.Linux.dll socket_exporter.dll YamlDotNet.dll; do
  $root/tools/sharpfuzz "$afl/$assembly" >>"$log" 2>&1
done

fuzzer=(dotnet "$bin/SocketExporter.Fuzz.dll")
mapfile -t known < <("${fuzzer[@]}" list)
if [ "$list" = 1 ]; then printf '%s\n' "${known[@]}"; exit 0; fi
[ ${#targets[@]} -gt 0 ] || targets=("${known[@]}")
for t in "${targets[@]}"; do
  printf '%s\n' "${known[@]}" | grep -qx -- "$t" || { echo "unknown target '$t' (scripts/fuzz.sh --list)" >&2; exit 2; }
done

# afl-fuzz settings for a .NET target on a shared machine: dotnet is not an instrumented ELF (SharpFuzz speaks the
# fork-server protocol itself); no core pinning or CPU-governor checks; no curses UI in a log.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_FAST_CAL=1
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
# Generous per-input time: the first input down a new path pays for JIT, and the machine is shared. A real hang
# (an endless loop) still ends here, as a crash.
timeout_ms=10000

total_execs=0
total_crashes=0
for t in "${targets[@]}"; do
  dir=$work/$t
  rm -rf "$dir"
  mkdir -p "$dir/in"
  "${fuzzer[@]}" seeds "$t" "$dir/in" >>"$log" 2>&1 \
    || { tail -15 "$log" >&2; echo "fuzz: 0 targets, $total_execs executions, $total_crashes crashes (the seeds of $t could not be written)"; exit 1; }
  crashes=0
  # A seed that already crashes stops afl-fuzz's dry run; replay the seeds uninstrumented first.
  if ! "${fuzzer[@]}" run "$t" "$dir"/in/* >"$dir/replay.log" 2>&1; then
    mkdir -p "$findings/$t"
    cp "$dir"/in/* "$findings/$t/"
    crashes=1
    execs=0
    echo "  $t: a seed crashes the parser (see $dir/replay.log; seeds copied to $findings/$t)"
  else
    status=0
    timeout $((seconds + 120)) afl-fuzz -i "$dir/in" -o "$dir/out" -V "$seconds" -t "$timeout_ms" -m none \
      -- dotnet "$afl/SocketExporter.Fuzz.dll" fuzz "$t" >"$dir/afl.log" 2>&1 || status=$?
    stats=$dir/out/default/fuzzer_stats
    stat_of() { local v; v=$(awk -v k="$1" '$1 == k { print $3 }' "$stats" 2>/dev/null || true); echo "${v:-0}"; }
    execs=$(stat_of execs_done)
    crashes=$(( $(stat_of saved_crashes) + $(stat_of saved_hangs) ))
    if [ "$crashes" -gt 0 ]; then
      mkdir -p "$findings/$t"
      cp "$dir"/out/default/crashes/id:* "$dir"/out/default/hangs/id:* "$findings/$t/" 2>/dev/null || true
    fi
    # afl-fuzz stops at once when the target process itself dies (a stack overflow, a fatal runtime error): the fork
    # server is then gone. That is a crash too; the input being run is .cur_input.
    if [ "$status" -ne 0 ] || [ ! -f "$stats" ]; then
      crashes=$((crashes + 1))
      mkdir -p "$findings/$t"
      cp "$dir/out/default/.cur_input" "$findings/$t/fork-server-died" 2>/dev/null || true
      echo "  $t: afl-fuzz stopped (status $status); last lines of $dir/afl.log:"
      grep -v '^\s*$' "$dir/afl.log" | tail -5 | sed 's/^/    /'
    fi
    echo "  $t: $execs executions, $crashes crashes, $(stat_of edges_found) edges"
  fi
  total_execs=$((total_execs + execs))
  total_crashes=$((total_crashes + crashes))
done
rm -f /dev/shm/socket-exporter-fuzz-config-*

[ "$total_crashes" -eq 0 ] || echo "crashing inputs: $findings/" >&2
echo "fuzz: ${#targets[@]} targets, $total_execs executions, $total_crashes crashes"
[ "$total_crashes" -eq 0 ]
