# Sourced by bench/run.sh and bench/who.sh: the loopback socket load of bench/loadgen.py, started and stopped the
# same way for both. Needs $TMPD (a scratch directory the caller removes) and fd 3 free: loadgen runs until the
# write end of its stdin fifo, held on fd 3, is closed.
#
#   load_start CONNECTIONS [LOADGEN_ARG...]   start loadgen, wait for READY; sets LG_PID and LOAD_JSON (a file)
#   load_stop                                 close loadgen's stdin, wait for its teardown, else SIGTERM/SIGKILL it
#   stop_pid PID NAME                         SIGTERM, up to 10 s, then SIGKILL; reaps it
#
# Client processes hold ~connections/50 sockets each by default; the load adds one client process per 2,000
# connections above that, so that no process needs more descriptors than a container's hard RLIMIT_NOFILE allows
# (loadgen checks its plan against the limit and says so). An explicit --client-procs among the arguments wins.

LG_PID=""
LOAD_JSON=""
# Seconds loadgen may take to connect everything: 50,000 connections take ~15 s on 2 busy cores.
LOAD_TIMEOUT_S=300

stop_pid() {
  local pid=$1 name=$2 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for (( i = 0; i < 100; i++ )); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "bench: $name (pid $pid) ignored SIGTERM, sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

load_start() {
  local connections=$1; shift
  local clients=() ready="" i
  [[ " $* " == *" --client-procs "* ]] || clients=(--client-procs $(( connections / 2000 + 50 )))
  # The hard limit may not be raisable (containers); the load spreads its fds over ~100 processes.
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  echo "== building load: python3 bench/loadgen.py --connections $connections ${clients[*]} $*" >&2
  rm -f "$TMPD/loadgen.in"
  mkfifo "$TMPD/loadgen.in"
  python3 "$BENCH_DIR/loadgen.py" --connections "$connections" "${clients[@]}" --timeout "$LOAD_TIMEOUT_S" "$@" \
    <"$TMPD/loadgen.in" >"$TMPD/loadgen.out" 2>"$TMPD/loadgen.err" &
  LG_PID=$!
  exec 3>"$TMPD/loadgen.in"     # hold the write end; closing it stops loadgen
  for (( i = 0; i < LOAD_TIMEOUT_S * 10 + 100; i++ )); do
    if ready=$(grep -m1 '^READY ' "$TMPD/loadgen.out"); then break; fi
    if ! kill -0 "$LG_PID" 2>/dev/null; then
      echo "bench: loadgen exited before READY:" >&2; cat "$TMPD/loadgen.err" >&2; return 1
    fi
    sleep 0.1
  done
  [[ -n $ready ]] || { echo "bench: loadgen not READY after ${LOAD_TIMEOUT_S} s" >&2; cat "$TMPD/loadgen.err" >&2; return 1; }
  LOAD_JSON="$TMPD/load.json"
  printf '%s\n' "${ready#READY }" >"$LOAD_JSON"
  echo "== load ready: ${ready#READY }" >&2
}

load_stop() {
  [[ -n $LG_PID ]] || return 0
  exec 3>&-                        # EOF on loadgen's stdin starts its teardown (SIGTERM to its children, reaped)
  local i
  for (( i = 0; i < 100; i++ )); do kill -0 "$LG_PID" 2>/dev/null || break; sleep 0.1; done
  stop_pid "$LG_PID" loadgen
  LG_PID=""
}
