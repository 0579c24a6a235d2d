# syntax=docker/dockerfile:1
#
# SocketExporter: one NativeAOT binary on Ubuntu Chiseled (no shell, no package manager, no .NET runtime).
#
#   docker build --build-arg REVISION=$(git rev-parse HEAD) -t socket-exporter:0.1.0 .
#   docker run -d --name socket-exporter --pid=host --read-only -v /proc:/host/proc:ro -p 9966:9966 \
#     --cap-drop=ALL --cap-add=SYS_PTRACE --cap-add=DAC_READ_SEARCH \
#     --security-opt=no-new-privileges --security-opt=apparmor=unconfined socket-exporter:0.1.0
#
# It finds every network namespace under /host/proc (the host's is pid 1's) and reads the others through
# /proc/PID/net; --cap-add=SYS_ADMIN lets it setns() into them and use sock_diag (listener backlogs too).
# apparmor=unconfined: Docker's default AppArmor profile lets a container ptrace-read (and so read /proc/PID/fd
# of) only processes under that same profile; the host's processes would stay unattributed despite SYS_PTRACE.
#
# REVISION is required: .git is not sent to the build (.dockerignore), and scripts/publish-aot.sh refuses to
# ship a binary that does not know its commit (it shows in --version and socket_exporter_build_info{revision}).
# The image is built for the platform of the build stage (docker buildx --platform linux/arm64 runs it emulated):
# NativeAOT compiles for the machine it runs on.
#
# Size, estimated (no Docker engine was available to build it): the binary is 15.5 MB (7.1 MB gzipped), measured
# on linux-x64 with .NET 10.0.12; runtime-deps:10.0-noble-chiseled is about 13 MB (about 6 MB compressed).
# Expect an image of about 29 MB on disk, about 13 MB to pull.

# --- build: the same publish as scripts/publish-aot.sh run anywhere else ---------------------------------------
# noble, like the final stage: the binary links against the glibc it will run with.
FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
# clang compiles and links the native code (it brings binutils: ld.bfd, objcopy). zlib1g-dev is only a fallback:
# the .NET 10 runtime pack links its own libz.a, but the ILCompiler asks for the system -lz if that file is missing.
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
ARG REVISION
RUN REVISION="${REVISION}" ARTIFACTS_PATH=/tmp/aot-build scripts/publish-aot.sh /out

# --- final: the binary alone ------------------------------------------------------------------------------------
# runtime-deps holds what the binary needs: glibc (it links only libc and libm) and OpenSSL 3, which it loads for
# the TLS of --web.config.file. Pin it by digest in your registry mirror if you need reproducible images.
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
ARG REVISION
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="socket_exporter" \
      org.opencontainers.image.description="Prometheus exporter: which process uses this port, this socket, this device" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled"

COPY --from=build /out/socket_exporter /socket_exporter

# runtime-deps sets ASPNETCORE_HTTP_PORTS=8080, which Kestrel would report overriding at every start: the exporter
# listens only where --web.listen-address says. No diagnostics IPC socket in /tmp (a read-only root has no /tmp
# to write, and nothing in the container needs dotnet-trace).
ENV ASPNETCORE_HTTP_PORTS="" \
    DOTNET_EnableDiagnostics=0

# uid 0, deliberately, where the base image defaults to the non-root "app" user (1654). Capabilities added to a
# container (--cap-add, securityContext.capabilities.add) are only effective for uid 0: a non-root process gets
# none of them (no ambient capabilities are set, and no_new_privs blocks file capabilities). Run it with every
# capability dropped except SYS_PTRACE and DAC_READ_SEARCH: that root can read other processes' /proc/PID/fd and
# nothing else (see deploy/kubernetes/daemonset.yaml). Without them it still lists every socket, with pid and
# program empty for the processes it cannot read.
USER 0

EXPOSE 9966
ENTRYPOINT ["/socket_exporter"]
# The host's /proc is expected at /host/proc (-v /proc:/host/proc:ro); replace these to change it.
CMD ["--web.listen-address=:9966", "--path.procfs=/host/proc"]
