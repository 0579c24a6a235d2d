#!/usr/bin/env bash
# Runs every test of SocketExporter: installs the tools the tests compare against (ss, lsof, fuser,
# promtool and a Prometheus server, python3 for the socket-holding helper), builds, runs all xunit tests.
# Needs root: the tests read every process's /proc, mount tmpfs, and make network namespaces.
#
# ./test.sh --unit: only the tests marked [Trait("Category", "Unit")] (parsers, collectors, configuration, the golden
# exposition): no root, no network namespace, no package install, no external tool; any user can run them.
set -euo pipefail
cd "$(dirname "$0")"

filter=()
if [ "${1:-}" = "--unit" ]; then
  filter=(--filter "Category=Unit")
else
  packages=(iproute2 iptables ethtool lsof psmisc prometheus python3 curl util-linux procps chromium openssl apache2-utils python3-yaml clang zlib1g-dev)
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # --no-install-recommends: the prometheus package would otherwise pull in node-exporter and friends.
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# --- container engine and schema checkers (tests/SocketExporter.Tests/Packaging: ContainerTests, SchemaTests) ---
# Debian's docker.io when there is no engine; dockerd started when none answers, and stopped at exit if started
# here. The npm packages of tools/schema-check (Kubernetes and Grafana schemas) installed from its lockfile.
dockerd_pid=
stop_dockerd() {
  if [ -n "$dockerd_pid" ]; then
    kill "$dockerd_pid" 2>/dev/null || true
    wait "$dockerd_pid" 2>/dev/null || true
  fi
}
container_and_schema_tools() {
  local need=()
  command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
  command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  if ! docker info >/dev/null 2>&1; then
    local log
    log=$(mktemp)
    dockerd >"$log" 2>&1 &
    dockerd_pid=$!
    trap stop_dockerd EXIT
    for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
    docker info >/dev/null 2>&1 || { echo "dockerd did not start:"; cat "$log"; exit 1; }
  fi
  (cd tools/schema-check && npm ci --no-audit --no-fund --loglevel=error)
}
[ "${1:-}" = "--unit" ] || container_and_schema_tools

dotnet build SocketExporter.sln -c Release -nologo -v quiet
log=$(mktemp)
set +e
# -m:1: the two test assemblies run one after the other, so whole-host comparisons are not disturbed by the other.
dotnet test SocketExporter.sln -c Release --no-build -nologo -m:1 "${filter[@]}" --logger "console;verbosity=normal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# Every parser fuzzed for a few seconds under afl-fuzz (scripts/fuzz.sh, issue 16; 22 targets x (3 s + ~6 s of start-up
# and seed replay on a loaded 2-core machine), about 3.5 minutes with the build and
# instrumentation): a crash fails the run and its input is kept under artifacts/fuzz/findings.
[ "${1:-}" = "--unit" ] || scripts/fuzz.sh --seconds 3 || status=1
# Failures are printed where they happen, among hundreds of passing lines; print them again at the end,
# so the tail of a CI log says which test failed and why.
awk '/^  Failed [^ ]/ { show = 1; n = 0; print "----"; }
     /^  (Passed|Skipped) [^ ]/ || /^\[xUnit/ || /^Test Run/ { show = 0 }
     show && n++ < 40 { print }' "$log"
# One closing line for whoever reads the log: "N passed, N failed".
# dotnet test prints, per test project, "Total tests: N" then "     Passed: N" / "     Failed: N".
awk '/^ +Passed: [0-9]+$/ { p += $2 } /^ +Failed: [0-9]+$/ { f += $2 }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
exit "$status"
