#!/usr/bin/env python3
"""Loopback socket load generator for the SocketExporter benchmark.

Builds a host-like socket population that stays entirely on loopback
(127.0.0.1 and ::1):

  * ~200 TCP listener sockets spread over ~50 server processes,
    including prefork groups (a master that listens and 3 forked workers
    that all hold -- and accept on -- the same listener fds) and a couple
    of SO_REUSEPORT pairs (two processes, two sockets, one addr:port);
  * ~50 client processes holding ~10,000 ESTABLISHED connections to those
    listeners (so ~20,000 socket ends), skewed Zipf-like over listeners;
  * some UDP sockets: bound "server" sockets and connected client sockets.

No data is sent; every side just holds its sockets.  All sockets get
SO_LINGER{1,0}, so teardown resets the connections instead of leaving
~10,000 TIME_WAIT entries behind that would skew the next run.

When the load is complete it prints one line
    READY {json summary}
on stdout, then waits until stdin reaches EOF or it gets SIGTERM/SIGINT/
SIGHUP, and then kills its own child processes (by pid) and exits.
Every child also has PR_SET_PDEATHSIG=SIGKILL, so nothing outlives it.

Only the Python standard library is used.
"""

import argparse
import ctypes
import errno
import json
import mmap
import os
import random
import resource
import select
import signal
import socket
import struct
import sys
import time
import traceback

PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15
LINGER_RST = struct.pack("ii", 1, 0)
EPOLLEXCLUSIVE = getattr(select, "EPOLLEXCLUSIVE", 1 << 28)

SERVICE_NAMES = ["postgres", "redis", "envoy", "java", "node", "memcached",
                 "haproxy", "mysqld", "rabbitmq", "grpcsvc", "etcd", "dotnet"]
PREFORK_NAMES = ["nginx", "httpd", "gunicorn", "php-fpm"]

_libc = ctypes.CDLL(None, use_errno=True)
MAIN_PID = os.getpid()


class Stop(Exception):
    """Raised from signal handlers in the main process to start teardown."""


def log(msg):
    print(f"loadgen[{os.getpid()}]: {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# shared counters (anonymous MAP_SHARED mmap, one int64 slot per writer)

class Counters:
    def __init__(self, n):
        self.n = n
        self.mm = mmap.mmap(-1, max(8, 8 * n))  # MAP_SHARED|MAP_ANONYMOUS

    def set(self, i, v):
        struct.pack_into("q", self.mm, 8 * i, v)

    def get(self, i):
        return struct.unpack_from("q", self.mm, 8 * i)[0]

    def total(self, idxs):
        return sum(self.get(i) for i in idxs)


# --------------------------------------------------------------------------
# child process plumbing

def child_setup(name, expected_ppid):
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != expected_ppid:      # parent already gone
        os._exit(1)
    _libc.prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)


def spawn(name, fn, *args):
    """fork(); the child runs fn(*args) and never returns to the caller."""
    ppid = os.getpid()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            child_setup(name, ppid)
            fn(*args)
        except BaseException:  # noqa: BLE001 - report anything, then exit
            traceback.print_exc()
            code = 1
        finally:
            os._exit(code)
    return pid


def keep_only(own_socks, all_socks):
    own = {s.fileno() for s in own_socks}
    for s in all_socks:
        if s.fileno() not in own and s.fileno() >= 0:
            s.close()


def accept_loop(listeners, extra_socks, counters, slot, err_slot, exclusive):
    """Accept forever on `listeners`, holding every accepted socket."""
    ep = select.epoll()
    by_fd = {}
    for ls in listeners:
        ls.setblocking(False)
        ep.register(ls.fileno(), select.EPOLLIN | (EPOLLEXCLUSIVE if exclusive else 0))
        by_fd[ls.fileno()] = ls
    held = list(extra_socks)
    count = 0
    while True:
        try:
            events = ep.poll()
        except InterruptedError:
            continue
        for fd, _ in events:
            ls = by_fd[fd]
            while True:
                try:
                    conn, _ = ls.accept()
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as e:
                    counters.set(err_slot, e.errno or -1)
                    if e.errno in (errno.EMFILE, errno.ENFILE):
                        time.sleep(0.1)
                    break
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)
                held.append(conn)
                count += 1
            counters.set(slot, count)


def run_plain_server(unit, all_socks, counters):
    own = unit["listen_socks"] + unit["udp_socks"]
    keep_only(own, all_socks)
    accept_loop(unit["listen_socks"], unit["udp_socks"], counters,
                unit["slots"][0], unit["err_slot"], exclusive=False)


def run_prefork_master(unit, all_socks, counters):
    own = unit["listen_socks"] + unit["udp_socks"]
    keep_only(own, all_socks)
    workers = []

    def on_term(signum, frame):
        for pid in workers:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in workers:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        os._exit(0)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    for slot in unit["slots"]:
        workers.append(spawn(unit["name"], accept_loop, unit["listen_socks"], [],
                             counters, slot, unit["err_slot"], True))
    counters.set(unit["pid_slot"], len(workers))
    # The master holds the listener fds but never accepts (like nginx).
    while True:
        signal.pause()


def run_client(cl, counters):
    held = []
    n = 0
    for fam, addr, port in cl["targets"]:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)
        s.settimeout(30)
        try:
            s.connect((addr, port))
        except OSError as e:
            counters.set(cl["err_slot"], e.errno or -1)
            s.close()
            break
        held.append(s)
        n += 1
        if n % 25 == 0:
            counters.set(cl["slot"], n)
    counters.set(cl["slot"], n)
    for fam, addr, port in cl["udp_targets"]:
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.connect((addr, port))
        held.append(u)
    while True:
        signal.pause()


# --------------------------------------------------------------------------
# planning

def bind_socket(kind, fam, addr, ports, reuseport=False, port=None):
    """Bind a TCP listener / UDP socket, trying ports from `ports` on EADDRINUSE."""
    while True:
        p = port if port is not None else ports.pop()
        if reuseport and port is None:
            # A SO_REUSEPORT bind by the same uid silently *joins* an existing
            # reuseport group (e.g. a still-running loadgen) instead of failing,
            # so probe with a plain bind first and skip ports in any use.
            probe = socket.socket(fam, kind)
            if fam == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind((addr, p))
            except OSError as e:
                if e.errno == errno.EADDRINUSE:
                    continue
                raise
            finally:
                probe.close()
        s = socket.socket(fam, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuseport:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            s.bind((addr, p))
        except OSError as e:
            s.close()
            if e.errno == errno.EADDRINUSE and port is None:
                continue
            raise
        if kind == socket.SOCK_STREAM:
            s.listen(4096)
        return s, p


def zipf_weights(n, s):
    return [1.0 / (k + 1) ** s for k in range(n)]


def build(args, rng):
    """Create every listening/bound socket in this process and plan the load."""
    n_prefork = args.prefork_groups
    n_workers = args.prefork_workers
    n_plain = args.server_procs - n_prefork * (1 + n_workers)
    if n_plain < 2 * args.reuseport_pairs or n_plain < 1:
        sys.exit("loadgen: --server-procs too small for the prefork groups / reuseport pairs")

    ports = list(range(args.port_base, args.port_base + 12000))
    rng.shuffle(ports)

    def family():
        return (socket.AF_INET, "127.0.0.1") if rng.random() < args.ipv4_share \
            else (socket.AF_INET6, "::1")

    units = []
    for i in range(n_plain):
        svc = SERVICE_NAMES[i % len(SERVICE_NAMES)]
        units.append(dict(kind="plain", name=f"lg-{svc}", listen_socks=[], udp_socks=[]))
    for i in range(n_prefork):
        svc = PREFORK_NAMES[i % len(PREFORK_NAMES)]
        units.append(dict(kind="prefork", name=f"lg-{svc}", listen_socks=[], udp_socks=[]))

    endpoints = []   # dict(fam, addr, port, owners=[unit idx], special)

    # SO_REUSEPORT pairs: two plain servers, one socket each, same addr:port.
    plain_idx = list(range(n_plain))
    rng.shuffle(plain_idx)
    for k in range(args.reuseport_pairs):
        a, b = plain_idx[2 * k], plain_idx[2 * k + 1]
        fam, addr = family()
        s1, port = bind_socket(socket.SOCK_STREAM, fam, addr, ports, reuseport=True)
        s2, _ = bind_socket(socket.SOCK_STREAM, fam, addr, ports, reuseport=True, port=port)
        units[a]["listen_socks"].append(s1)
        units[b]["listen_socks"].append(s2)
        endpoints.append(dict(fam=fam, addr=addr, port=port, owners=[a, b], kind="reuseport"))

    # Remaining listener sockets: each unit gets >= 1, the rest spread unevenly.
    remaining = args.listeners - 2 * args.reuseport_pairs
    if remaining < len(units):
        sys.exit("loadgen: --listeners must be at least the number of listening processes")
    share = [1] * len(units)
    wts = [rng.uniform(0.3, 1.7) for _ in units]
    for idx in rng.choices(range(len(units)), weights=wts, k=remaining - len(units)):
        share[idx] += 1
    for ui, cnt in enumerate(share):
        for _ in range(cnt):
            fam, addr = family()
            s, port = bind_socket(socket.SOCK_STREAM, fam, addr, ports)
            units[ui]["listen_socks"].append(s)
            endpoints.append(dict(fam=fam, addr=addr, port=port, owners=[ui],
                                  kind="prefork" if units[ui]["kind"] == "prefork" else "plain"))

    # Bound UDP "server" sockets on random plain servers.
    udp_bound = []
    for _ in range(args.udp_bound):
        fam, addr = family()
        s, port = bind_socket(socket.SOCK_DGRAM, fam, addr, ports)
        units[rng.randrange(n_plain)]["udp_socks"].append(s)
        udp_bound.append((fam, addr, port))

    # Connection targets: Zipf over endpoints; prefork/reuseport ones tend to be hot.
    order = sorted(range(len(endpoints)),
                   key=lambda i: rng.random() - (0.6 if endpoints[i]["kind"] != "plain" else 0))
    zw = zipf_weights(len(endpoints), args.zipf)
    weights = [0.0] * len(endpoints)
    for rank, ei in enumerate(order):
        weights[ei] = zw[rank]
    conn_ep = rng.choices(range(len(endpoints)), weights=weights, k=args.connections)

    clients = [dict(targets=[], udp_targets=[]) for _ in range(args.client_procs)]
    cw = [rng.uniform(0.4, 1.6) for _ in clients]
    conn_cl = rng.choices(range(len(clients)), weights=cw, k=args.connections)
    per_ep = [0] * len(endpoints)
    for ei, ci in zip(conn_ep, conn_cl):
        ep = endpoints[ei]
        clients[ci]["targets"].append((ep["fam"], ep["addr"], ep["port"]))
        per_ep[ei] += 1
    for cl in clients:
        rng.shuffle(cl["targets"])
    for k in range(args.udp_connected):
        if not udp_bound:
            break
        clients[rng.randrange(len(clients))]["udp_targets"].append(udp_bound[k % len(udp_bound)])

    return units, endpoints, clients, per_ep, udp_bound


def count_kernel_established():
    """ESTABLISHED TCP sockets in this netns with a loopback local address."""
    n = 0
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    parts = line.split(None, 4)
                    if parts[3] != "01":
                        continue
                    local = parts[1].split(":")[0]
                    if len(local) == 8:
                        if local.endswith("7F"):   # 127.x.x.x (little-endian hex)
                            n += 1
                    elif local in ("00000000000000000000000001000000",
                                   "0000000000000000FFFF00000100007F"):
                        n += 1
        except FileNotFoundError:
            pass
    return n


# --------------------------------------------------------------------------
# main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--server-procs", type=int, default=52,
                    help="server processes in total, prefork masters and workers included")
    ap.add_argument("--prefork-groups", type=int, default=4)
    ap.add_argument("--prefork-workers", type=int, default=3)
    ap.add_argument("--reuseport-pairs", type=int, default=2)
    ap.add_argument("--listeners", type=int, default=200, help="TCP listener sockets")
    ap.add_argument("--client-procs", type=int, default=50)
    ap.add_argument("--connections", type=int, default=10000, help="ESTABLISHED connections")
    ap.add_argument("--udp-bound", type=int, default=24, help="bound UDP server sockets")
    ap.add_argument("--udp-connected", type=int, default=24, help="connected UDP client sockets")
    ap.add_argument("--ipv4-share", type=float, default=0.6)
    ap.add_argument("--zipf", type=float, default=0.9, help="skew of connections over listeners")
    ap.add_argument("--port-base", type=int, default=20000,
                    help="listener ports are drawn from [base, base+12000); keep it below "
                         "net.ipv4.ip_local_port_range")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds allowed for building")
    ap.add_argument("--ignore-stdin", action="store_true",
                    help="do not stop on stdin EOF; wait for a signal only")
    args = ap.parse_args()

    t0 = time.monotonic()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard

    children = []       # direct children (servers, prefork masters, clients)
    stopping = False

    def on_signal(signum, frame):
        if os.getpid() == MAIN_PID and not stopping:
            raise Stop(signal.Signals(signum).name)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)

    try:
        rng = random.Random(args.seed)
        units, endpoints, clients, per_ep, udp_bound = build(args, rng)

        # Per-process fd budget check (the hard limit can't be raised in some containers).
        max_per_proc = max(len(c["targets"]) + len(c["udp_targets"]) for c in clients)
        for ui, u in enumerate(units):
            accepted = sum(per_ep[ei] for ei, ep in enumerate(endpoints) if ui in ep["owners"])
            max_per_proc = max(max_per_proc, accepted + len(u["listen_socks"]) + len(u["udp_socks"]))
        if max_per_proc + 64 > soft:
            sys.exit(f"loadgen: a process would need ~{max_per_proc} fds but RLIMIT_NOFILE is "
                     f"{soft}; use more processes or fewer connections")
        worst_ep = max(per_ep) if per_ep else 0
        lo, hi = map(int, open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
        if worst_ep > (hi - lo + 1) * 0.9:
            log(f"warning: {worst_ep} connections to one endpoint, ephemeral range is {lo}-{hi}")

        # Counter slots.
        nslots = 0

        def alloc():
            nonlocal nslots
            nslots += 1
            return nslots - 1

        accept_slots, client_slots, err_slots, pid_slots = [], [], [], []
        for u in units:
            nacc = 1 if u["kind"] == "plain" else args.prefork_workers
            u["slots"] = [alloc() for _ in range(nacc)]
            u["err_slot"] = alloc()
            accept_slots += u["slots"]
            err_slots.append(u["err_slot"])
            if u["kind"] == "prefork":
                u["pid_slot"] = alloc()
                pid_slots.append(u["pid_slot"])
        for c in clients:
            c["slot"] = alloc()
            c["err_slot"] = alloc()
            client_slots.append(c["slot"])
            err_slots.append(c["err_slot"])
        counters = Counters(nslots)

        all_socks = [s for u in units for s in u["listen_socks"] + u["udp_socks"]]
        for u in units:
            fn = run_plain_server if u["kind"] == "plain" else run_prefork_master
            children.append(spawn(u["name"], fn, u, all_socks, counters))
        for s in all_socks:     # listeners now live only in their server processes
            s.close()
        for i, c in enumerate(clients):
            children.append(spawn("lg-client", run_client, c, counters))

        # Wait until every connection is connected and accepted.
        deadline = t0 + args.timeout
        while True:
            connected = counters.total(client_slots)
            accepted = counters.total(accept_slots)
            workers_up = counters.total(pid_slots)
            errs = [counters.get(i) for i in err_slots if counters.get(i)]
            if errs:
                e = errs[0]
                raise SystemExit(f"loadgen: socket error in a child: errno {e} "
                                 f"({os.strerror(e) if e > 0 else '?'}); "
                                 f"connected={connected} accepted={accepted}")
            if (connected == args.connections and accepted == args.connections
                    and workers_up == args.prefork_groups * args.prefork_workers):
                break
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid:
                raise SystemExit(f"loadgen: child {pid} exited early (status {status})")
            if time.monotonic() > deadline:
                raise SystemExit(f"loadgen: timed out building load: connected={connected} "
                                 f"accepted={accepted}/{args.connections}")
            time.sleep(0.02)
        build_s = time.monotonic() - t0

        n_prefork_workers = args.prefork_groups * args.prefork_workers
        n_v4_conn = sum(per_ep[i] for i, ep in enumerate(endpoints) if ep["fam"] == socket.AF_INET)
        listener_socks = sum(len(u["listen_socks"]) for u in units)
        summary = {
            "build_seconds": round(build_s, 3),
            "loadgen_pid": os.getpid(),
            "processes": {
                "total": len(children) + n_prefork_workers,
                "server": len(units) + n_prefork_workers,
                "server_plain": sum(1 for u in units if u["kind"] == "plain"),
                "prefork_groups": args.prefork_groups,
                "prefork_workers": n_prefork_workers,
                "client": len(clients),
            },
            "listeners": {
                "sockets": listener_socks,
                "endpoints": len(endpoints),
                "ipv4": sum(1 for ep in endpoints if ep["fam"] == socket.AF_INET),
                "ipv6": sum(1 for ep in endpoints if ep["fam"] == socket.AF_INET6),
                "reuseport_pairs": args.reuseport_pairs,
                "prefork_shared": sum(len(u["listen_socks"]) for u in units
                                      if u["kind"] == "prefork"),
                "with_connections": sum(1 for n in per_ep if n),
                "max_connections_one_listener": max(per_ep) if per_ep else 0,
            },
            "connections": {
                "established": args.connections,
                "socket_ends": 2 * args.connections,
                "ipv4": n_v4_conn,
                "ipv6": args.connections - n_v4_conn,
            },
            "udp": {"bound": len(udp_bound),
                    "connected": sum(len(c["udp_targets"]) for c in clients)},
            "kernel_tcp_established_loopback": count_kernel_established(),
            "max_fds_one_process": max_per_proc,
        }
        print("READY " + json.dumps(summary, separators=(",", ":")), flush=True)

        if args.ignore_stdin:
            while True:
                signal.pause()
        else:
            while os.read(0, 65536):
                pass
            log("stdin closed, tearing down")
    except Stop as e:
        log(f"got {e}, tearing down")
    finally:
        if os.getpid() == MAIN_PID:
            stopping = True
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                signal.signal(sig, signal.SIG_IGN)
            teardown(children)


def teardown(children):
    for pid in children:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    pending = set(children)
    deadline = time.monotonic() + 5
    while pending and time.monotonic() < deadline:
        for pid in list(pending):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                pending.discard(pid)
        if pending:
            time.sleep(0.02)
    for pid in pending:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


if __name__ == "__main__":
    main()
