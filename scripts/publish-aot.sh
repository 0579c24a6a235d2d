#!/usr/bin/env bash
# Publishes socket_exporter as one NativeAOT binary: the shipping build. The Dockerfile runs this script, so a
# binary built here and the one in the image come from the same command.
#
#   scripts/publish-aot.sh [OUT_DIR]        default OUT_DIR: artifacts/aot/<rid>
#
# Writes OUT_DIR/socket_exporter (stripped; its symbols in OUT_DIR/socket_exporter.dbg). Fails on any warning,
# trim and AOT analysis warnings included, and unless the binary reports the revision it was given.
#
# Environment:
#   REVISION        full git commit stamped into `--version` and socket_exporter_build_info{revision}
#                   (default: `git rev-parse HEAD`; must be given where there is no .git, as in `docker build`)
#   ARTIFACTS_PATH  intermediate bin/obj (default: artifacts/aot-build), kept apart from the bin/ and obj/ of
#                   `dotnet build`, so publishing never disturbs a JIT build or test run of the same tree
#
# Needs the .NET 10 SDK and clang (Debian/Ubuntu: `apt-get install clang`; clang pulls in binutils, whose ld.bfd
# links and whose objcopy strips). A versioned clang alone (Debian's clang-14 installs only /usr/bin/clang-14) is
# found and named to the ILCompiler. Without any clang the ILCompiler of .NET 10 would silently link with gcc; this
# script refuses instead, so every build uses the same toolchain. zlib1g-dev is not needed: the NativeAOT runtime
# pack of .NET 9+ links its own libz.a (it falls back to the system -lz only if that file is missing).
# The RID follows the machine (uname -m): NativeAOT does not cross-compile between architectures without a sysroot.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

fail() { echo "publish-aot.sh: $*" >&2; exit 1; }

case "$(uname -m)" in
  x86_64 | amd64) rid=linux-x64 ;;
  aarch64 | arm64) rid=linux-arm64 ;;
  *) fail "unsupported machine $(uname -m): NativeAOT targets linux-x64 and linux-arm64" ;;
esac

out=${1:-artifacts/aot/$rid}
artifacts=${ARTIFACTS_PATH:-artifacts/aot-build}

# clang, else the newest clang-NN on PATH.
if command -v clang >/dev/null 2>&1; then
  cc=clang
else
  cc=$(compgen -c clang- | grep -E '^clang-[0-9]+$' | sort -t- -k2 -n | tail -n 1 || true)
fi
[ -n "$cc" ] || fail "clang not found on PATH (apt-get install clang)"

revision=${REVISION:-}
if [ -z "$revision" ]; then
  revision=$(git rev-parse HEAD 2>/dev/null) \
    || fail "no git checkout here: pass the commit as REVISION=<40-hex sha> (docker build --build-arg REVISION=...)"
  if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    echo "publish-aot.sh: note: the working tree has uncommitted changes; the binary still says revision $revision" >&2
  fi
fi
# The full commit, as `git rev-parse HEAD` prints it (SHA-1 or SHA-256 repositories): a short one is ambiguous.
[[ "$revision" =~ ^([0-9a-f]{40}|[0-9a-f]{64})$ ]] || fail "REVISION must be a full lowercase commit id, not '$revision'"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "publish-aot.sh: $rid, $cc, revision $revision -> $out" >&2

# SourceRevisionId is set explicitly: the SDK would take it from .git (absent in a docker build context), and
# appends it to AssemblyInformationalVersion ("0.1.0+<sha>"), which the exporter reads for its revision.
# -warnaserror: any MSBuild/compiler warning fails; the project's AOT PropertyGroup makes ILC warnings errors too.
# No MSBuild nodes or compiler server are left running once the script returns (CI steps, tests, docker RUN).
dotnet publish src/SocketExporter \
  -c Release \
  -r "$rid" \
  -p:PublishAot=true \
  -p:CppCompilerAndLinker="$cc" \
  -p:SourceRevisionId="$revision" \
  --artifacts-path "$artifacts" \
  -o "$out" \
  -warnaserror \
  -nodeReuse:false \
  -p:UseSharedCompilation=false \
  -nologo \
  -tl:off \
  2>&1 | tee "$log"

# A warning printed without failing the build (a tool that does not honour -warnaserror) still fails here.
if grep -Eiq '(^|[^0-9a-z_])warning([^a-z_]|$)' "$log"; then
  fail "the publish printed warnings (above); the shipping build must have none"
fi

binary="$out/socket_exporter"
[ -x "$binary" ] || fail "$binary was not produced"
version=$("$binary" --version)
[[ "$version" == *"revision $revision,"* ]] || fail "$binary --version says '$version', expected revision $revision"
echo "publish-aot.sh: $binary ($(stat -c %s "$binary") bytes): $version" >&2
