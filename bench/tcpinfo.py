#!/usr/bin/env python3
"""What asking sock_diag for tcp_info (INET_DIAG_INFO) costs a TCP dump.

Starts bench/loadgen.py (default 25,000 connections: 50,000 established socket
ends on loopback), then dumps the TCP tables (IPv4 + IPv6, every state) with
and without the INET_DIAG_INFO extension, alternating, and prints the median
time and the bytes the kernel returned for each. Only the kernel's walk and the
copy to user space are timed (nothing is decoded), which is what the extension
adds; the exporter's decoding of the extra fields is a few loads per socket.

    python3 bench/tcpinfo.py [--connections 25000] [--rounds 15]
Run as root (loadgen raises its fd limit).
"""
import argparse, json, os, socket, statistics, struct, subprocess, sys, time

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST, NLM_F_DUMP = 1, 0x300
NLMSG_DONE = 3
INET_DIAG_INFO = 2
ALL_STATES = 0xFFFFFFFF


def dump(family, ext):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    # nlmsghdr + inet_diag_req_v2 (family, protocol, ext, pad, states, zeroed sockid)
    req = struct.pack("=BBBxI", family, socket.IPPROTO_TCP, ext, ALL_STATES) + bytes(48)
    s.send(struct.pack("=IHHII", 16 + len(req), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, 1, 0) + req)
    total, sockets, buf = 0, 0, bytearray(65536)
    t0, c0 = time.perf_counter(), time.thread_time()
    done = False
    while not done:
        n = s.recv_into(buf)
        total += n
        # The kernel sends NLMSG_DONE in a reply of its own at the end of an inet_diag dump: only the first header of
        # each reply needs looking at, so Python's per-message cost stays out of the figures (sockets are counted by
        # the kernel's walk: bytes / message size is printed instead).
        length, typ = struct.unpack_from("=IH", buf, 0)
        if typ == NLMSG_DONE:
            done = True
        else:
            sockets += 1
    elapsed, cpu = time.perf_counter() - t0, time.thread_time() - c0
    s.close()
    return elapsed, cpu, total, sockets


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--connections", type=int, default=25000)
    ap.add_argument("--client-procs", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    lg = subprocess.Popen([sys.executable, os.path.join(here, "loadgen.py"), "--connections", str(args.connections),
                           "--client-procs", str(args.client_procs), "--timeout", "180"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = lg.stdout.readline()
        if not line.startswith("READY"):
            sys.exit("loadgen did not start: " + line)
        ready = json.loads(line[6:])
        times = {0: [], 1: []}
        cpus = {0: [], 1: []}
        sizes = {}
        for r in range(args.rounds):
            for ext in ((0, 1) if r % 2 == 0 else (1, 0)):   # alternate the order: no side is always warmer
                t, c, b, n = 0.0, 0.0, 0, 0
                for fam in (socket.AF_INET, socket.AF_INET6):
                    e, cc, bb, nn = dump(fam, (1 << (INET_DIAG_INFO - 1)) if ext else 0)
                    t, c, b, n = t + e, c + cc, b + bb, n + nn
                times[ext].append(t)
                cpus[ext].append(c)
                sizes[ext] = (b, n)
        # CPU time of the dumping thread (user + system: the kernel's walk and copy run in it) is the figure that the
        # other load on a shared machine disturbs least; wall time is printed beside it.
        for ext, name in ((0, "without INET_DIAG_INFO"), (1, "with INET_DIAG_INFO")):
            b, n = sizes[ext]
            print(f"{name:24s} CPU median {statistics.median(cpus[ext]) * 1000:7.2f} ms "
                  f"(min {min(cpus[ext]) * 1000:.2f}), wall median {statistics.median(times[ext]) * 1000:7.2f} ms; "
                  f"{n} replies, {b / 1e6:.2f} MB")
        print(f"load: {json.dumps(ready.get('connections', {}))}")
    finally:
        lg.stdin.close()
        lg.wait(timeout=60)


if __name__ == "__main__":
    main()
