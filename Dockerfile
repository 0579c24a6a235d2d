# SocketExporter: one NativeAOT binary on a small base (no shell, no package manager, no .NET runtime).
#
#   scripts/build-image.sh socket-exporter:0.1.0
#
# Built like the Prometheus exporters' images: the binary is made outside the image (scripts/publish-aot.sh, the
# shipping build) and copied onto the base, one image per architecture. scripts/build-image.sh publishes the binary
# (or reuses a current one), puts it next to this file in a build context of its own, and runs `docker build`.
# By hand: put socket_exporter (from scripts/publish-aot.sh) in an empty directory with this file and run
#   docker build --build-arg REVISION=$(git rev-parse HEAD) -t socket-exporter:0.1.0 DIRECTORY
#
# BASE: what the binary runs on. Default: Microsoft's runtime-deps:10.0-noble-chiseled, which holds what a NativeAOT
# binary needs: glibc (it links libc and libm), OpenSSL 3 (loaded for the TLS of --web.config.file), CA
# certificates, /etc/passwd. Where no registry is reachable, scripts/build-image.sh makes a base of the same
# content from the build machine's own files (see there). Pin BASE by digest in your registry mirror if you need
# reproducible images.
#
#   docker run -d --name socket-exporter --pid=host --read-only -v /proc:/host/proc:ro -p 9966:9966 \
#     --cap-drop=ALL --cap-add=SYS_PTRACE --cap-add=DAC_READ_SEARCH \
#     --security-opt=no-new-privileges --security-opt=apparmor=unconfined socket-exporter:0.1.0
#
# It finds every network namespace under /host/proc (the host's is pid 1's) and reads the others through
# /proc/PID/net; --cap-add=SYS_ADMIN lets it setns() into them and use sock_diag (listener backlogs too).
# apparmor=unconfined: Docker's default AppArmor profile (where AppArmor is enabled) lets a container ptrace-read
# (and so read /proc/PID/fd of) only processes under that same profile; the host's processes would stay
# unattributed despite SYS_PTRACE.
ARG BASE=mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
FROM ${BASE}
ARG BASE
ARG REVISION
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="socket_exporter" \
      org.opencontainers.image.description="Prometheus exporter: which process uses this port, this socket, this device" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="${BASE}"

COPY socket_exporter /socket_exporter

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
