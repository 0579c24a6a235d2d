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
  packages=(iproute2 lsof psmisc prometheus python3 curl util-linux procps chromium openssl apache2-utils python3-yaml clang zlib1g-dev)
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

dotnet build SocketExporter.sln -c Release -nologo -v quiet
log=$(mktemp)
set +e
# -m:1: the two test assemblies run one after the other, so whole-host comparisons are not disturbed by the other.
dotnet test SocketExporter.sln -c Release --no-build -nologo -m:1 "${filter[@]}" --logger "console;verbosity=normal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
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
