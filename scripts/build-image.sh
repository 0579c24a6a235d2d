#!/usr/bin/env bash
# Builds the container image with the Docker engine of this machine, connected to a registry or not.
#
#   scripts/build-image.sh [--base IMAGE|host] [--binary FILE] TAG      e.g. scripts/build-image.sh socket-exporter:0.1.0
#
# 1. The binary: scripts/publish-aot.sh (NativeAOT, the shipping build), or the one it already published in
#    artifacts/aot/<rid>/ when that one reports this checkout's commit and no source is newer than it, or FILE
#    (a binary scripts/publish-aot.sh wrote elsewhere; the tests pass the one they published).
# 2. The base (--base, or SOCKET_EXPORTER_BASE): default mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled,
#    what ships. Used when the engine has it or can pull it. When it cannot (no registry reachable) and the
#    default was not overridden, or with --base host, a base is made from this machine's own files instead and
#    imported as socket-exporter-base:host: the shared libraries the binary links (ldd), OpenSSL 3 (which the
#    binary loads for TLS) and what those link, the dynamic loader, CA certificates, and an /etc/passwd and
#    /etc/group with root and the chiseled image's "app" user. No shell, no package manager, like the chiseled
#    image. Its glibc is the build machine's: the binary was linked against it, so it runs.
# 3. `docker build` of the Dockerfile with only the binary as its context. DOCKER_BUILDKIT=0: BuildKit would fetch
#    its Dockerfile frontend from a registry; the classic builder needs nothing from outside.
#
# Needs: docker (an engine running), and for step 1 the .NET 10 SDK and clang (see scripts/publish-aot.sh).
# Prints the image's size as `docker image ls` reports it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

fail() { echo "build-image.sh: $*" >&2; exit 1; }
say() { echo "build-image.sh: $*" >&2; }

default_base=mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
base=${SOCKET_EXPORTER_BASE:-}
given_binary=
while [ $# -gt 0 ]; do
  case "$1" in
    --base) [ $# -ge 2 ] || fail "--base needs an image (or 'host')"; base=$2; shift 2 ;;
    --base=*) base=${1#--base=}; shift ;;
    --binary) [ $# -ge 2 ] || fail "--binary needs a file"; given_binary=$2; shift 2 ;;
    -*) fail "unknown option $1" ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || fail "usage: scripts/build-image.sh [--base IMAGE|host] [--binary FILE] TAG"
tag=$1
command -v docker >/dev/null 2>&1 || fail "docker not found (Debian: apt-get install docker.io)"
docker info >/dev/null 2>&1 || fail "no Docker engine answers (start dockerd)"

# --- 1. the binary ----------------------------------------------------------------------------------------------
case "$(uname -m)" in
  x86_64 | amd64) rid=linux-x64 ;;
  aarch64 | arm64) rid=linux-arm64 ;;
  *) fail "unsupported machine $(uname -m)" ;;
esac
binary=artifacts/aot/$rid/socket_exporter
current() {
  [ -x "$binary" ] || return 1
  [[ "$("$binary" --version 2>/dev/null)" == *"revision $revision,"* ]] || return 1
  # Anything the publish reads, changed since: publish again (uncommitted edits keep the same revision).
  [ -z "$(find src Directory.Build.props scripts/publish-aot.sh -newer "$binary" -type f -print -quit)" ]
}
if [ -n "$given_binary" ]; then
  [ -x "$given_binary" ] || fail "--binary $given_binary is not an executable file"
  binary=$given_binary
  say "using $binary ($("$binary" --version))"
else
  revision=${REVISION:-$(git rev-parse HEAD 2>/dev/null || true)}
  [ -n "$revision" ] || fail "no git checkout here: pass the commit as REVISION=<40-hex sha>"
  if current; then
    say "reusing $binary (revision $revision, no source newer)"
  else
    REVISION=$revision scripts/publish-aot.sh "artifacts/aot/$rid"
  fi
fi

# --- 2. the base ------------------------------------------------------------------------------------------------
host_base() {
  local rootfs lib
  rootfs=$(mktemp -d)
  # shellcheck disable=SC2064
  trap "rm -rf '$rootfs'" RETURN
  copy() {   # a file at its own path, the link it may be reached through kept as a link
    local path=$1 real
    real=$(readlink -f "$path")
    mkdir -p "$rootfs$(dirname "$real")" "$rootfs$(dirname "$path")"
    cp -p "$real" "$rootfs$real"
    [ "$real" = "$path" ] || [ -e "$rootfs$path" ] || ln -s "$real" "$rootfs$path"
  }
  libraries_of() { ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'; }
  local libs=()
  mapfile -t libs < <(libraries_of "$binary")
  # OpenSSL 3: not linked, loaded with dlopen by the binary's crypto shim (TLS of --web.config.file).
  for name in libssl.so.3 libcrypto.so.3; do
    lib=$(ldconfig -p | awk -v n="$name" '$1 == n && $0 ~ /x86-64|AArch64|aarch64/ { print $NF; exit }')
    [ -n "$lib" ] || fail "$name not found on this machine (Debian: apt-get install libssl3)"
    libs+=("$lib")
    mapfile -t -O ${#libs[@]} libs < <(libraries_of "$lib")
  done
  for lib in $(printf '%s\n' "${libs[@]}" | sort -u); do copy "$lib"; done
  ldconfig -r "$rootfs" 2>/dev/null || true   # the loader's cache, for the libraries as placed here
  mkdir -p "$rootfs/etc/ssl/certs" "$rootfs/tmp"
  chmod 1777 "$rootfs/tmp"
  [ -f /etc/ssl/certs/ca-certificates.crt ] && cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
  printf 'root:x:0:0:root:/root:/noshell\napp:x:1654:1654::/home/app:/noshell\n' > "$rootfs/etc/passwd"
  printf 'root:x:0:\napp:x:1654:\n' > "$rootfs/etc/group"
  local previous
  previous=$(docker image inspect -f '{{.Id}}' socket-exporter-base:host 2>/dev/null || true)
  tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -c . \
    | docker import --message "socket_exporter base made by scripts/build-image.sh from $(uname -n)'s libraries" - socket-exporter-base:host >/dev/null
  # The base it replaces, unless an image still uses it.
  if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect -f '{{.Id}}' socket-exporter-base:host)" ]; then
    docker rmi "$previous" >/dev/null 2>&1 || true
  fi
  say "made socket-exporter-base:host from this machine's files ($(du -sh "$rootfs" | cut -f1)): ${#libs[@]} libraries"
}

if [ "$base" = host ]; then
  host_base
  base=socket-exporter-base:host
elif docker image inspect "${base:-$default_base}" >/dev/null 2>&1; then
  base=${base:-$default_base}
  say "base $base (present in the engine)"
elif docker pull "${base:-$default_base}" >/dev/null 2>&1; then
  base=${base:-$default_base}
  say "base $base (pulled)"
elif [ -z "$base" ]; then
  say "cannot pull $default_base (no registry reachable?): making the base from this machine's files"
  host_base
  base=socket-exporter-base:host
else
  fail "base image $base is neither in the engine nor pullable"
fi

# --- 3. the image -----------------------------------------------------------------------------------------------
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp Dockerfile "$binary" "$context/"
# The labels say what the binary says of itself (`socket_exporter version 0.1.0 (revision <sha>, .NET …)`).
about=$("$binary" --version)
version=$(sed -n 's/^socket_exporter version \([^ ]*\) .*/\1/p' <<<"$about")
revision=$(sed -n 's/.*(revision \([0-9a-f]*\),.*/\1/p' <<<"$about")
[ -n "$version" ] && [ -n "$revision" ] || fail "$binary --version says '$about': no version and revision"
# Its output only on failure: a current docker CLI also warns that the classic builder is deprecated.
if ! output=$(DOCKER_BUILDKIT=0 docker build --quiet \
    --build-arg BASE="$base" --build-arg REVISION="$revision" --build-arg VERSION="$version" \
    -t "$tag" "$context" 2>&1); then
  echo "$output" >&2
  fail "docker build failed"
fi
docker run --rm --network=none "$tag" --version >/dev/null || fail "the image $tag does not run its binary"
say "built $tag on $base: $(docker image ls --format '{{.Size}}' "$tag")"
docker image ls "$tag"
