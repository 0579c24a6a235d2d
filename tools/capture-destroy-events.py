#!/usr/bin/env python3
"""Capture raw sock_diag destroy events (SKNLGRP_INET_TCP_DESTROY / INET6) as test fixtures.

Binds an AF_NETLINK/NETLINK_SOCK_DIAG socket to the TCP destroy multicast groups
(bitmask 1 << (group - 1): groups 1 and 3 = 0x5), runs one scenario on loopback in
the current network namespace, and writes the RAW bytes of every recv() concatenated
into OUT.bin, plus OUT.txt: kernel, arch, scenario, chunk sizes and the decoded
events (the expected values for parsers). Run it under `unshare --net` (with
`ip link set lo up`) so that no other socket's event is captured.

Usage:
  capture-destroy-events.py SCENARIO --out PATH[.bin]
    SCENARIO: payload4   one IPv4 connection, 100000 bytes client->server, 500 back, orderly close
              payload6   the same over ::1
              refused4   a connect to a closed port (RST)
              listener4  a listener closed with no connection
              nbrefused4 a non-blocking connect to a closed port, refused, read through SO_ERROR
              nbtimeout4 a non-blocking connect to a blackholed port (iptables DROP, tcp_syn_retries=1)

Only the standard library is used. Layouts: <linux/netlink.h>, <linux/inet_diag.h>, <linux/tcp.h>.
"""

import argparse
import os
import platform
import socket
import struct
import time

NETLINK_SOCK_DIAG = 4
GROUPS = (1 << 0) | (1 << 2)   # SKNLGRP_INET_TCP_DESTROY = 1, SKNLGRP_INET6_TCP_DESTROY = 3
INET_DIAG_INFO, INET_DIAG_PROTOCOL = 2, 10


def scenario(name):
    fam, host = (socket.AF_INET6, "::1") if name.endswith("6") else (socket.AF_INET, "127.0.0.1")
    if name.startswith("payload"):
        srv = socket.socket(fam, socket.SOCK_STREAM)
        srv.bind((host, 0))
        srv.listen(1)
        port = srv.getsockname()[1]
        cli = socket.create_connection((host, port))
        conn, _ = srv.accept()
        srv.close()
        cli.sendall(b"x" * 100000)
        cli.shutdown(socket.SHUT_WR)
        got = 0
        while True:
            b = conn.recv(65536)
            if not b:
                break
            got += len(b)
        conn.sendall(b"y" * 500)
        conn.close()
        while cli.recv(65536):
            pass
        cli.close()
        return f"{host} port {port}: client sent 100000 bytes then shut down writing; server read {got} to EOF, sent 500, closed; client read to EOF, closed. Listener closed first."
    if name.startswith("refused"):
        probe = socket.socket(fam, socket.SOCK_STREAM)
        probe.bind((host, 0))
        port = probe.getsockname()[1]
        probe.close()   # an unconnected, unlistened socket: its destroy event comes first (dport 0)
        c = socket.socket(fam, socket.SOCK_STREAM)
        try:
            c.connect((host, port))
        except ConnectionRefusedError:
            pass
        c.close()
        return f"a bound-only socket on {host}:{port} closed, then a connect to {host}:{port} refused (RST), then closed."
    if name.startswith("nbrefused") or name.startswith("nbtimeout"):
        import select
        if name.startswith("nbtimeout"):
            # a blackhole: every SYN to 127.0.0.1:9 is dropped; one SYN retry makes the timeout ~3 s
            os.system("iptables -A INPUT -p tcp --dport 9 -j DROP && sysctl -qw net.ipv4.tcp_syn_retries=1")
            target = ("127.0.0.1", 9)
        else:
            probe = socket.socket(fam, socket.SOCK_STREAM)
            probe.bind((host, 0))
            target = (host, probe.getsockname()[1])
            probe.close()
        c = socket.socket(fam, socket.SOCK_STREAM)
        c.setblocking(False)
        c.connect_ex(target)
        select.select([], [c], [], 30)
        err = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        c.close()
        return f"a non-blocking connect to {target[0]}:{target[1]} failed with errno {err} (SO_ERROR), then closed."
    if name.startswith("listener"):
        srv = socket.socket(fam, socket.SOCK_STREAM)
        srv.bind((host, 0))
        srv.listen(1)
        port = srv.getsockname()[1]
        srv.close()
        return f"a listener on {host}:{port} closed with no connection."
    raise SystemExit(f"unknown scenario {name}")


def decode(data):
    out, off = [], 0
    while off + 16 <= len(data):
        ln, typ, flags, seq, pid = struct.unpack_from("=IHHII", data, off)
        if ln < 16 or off + ln > len(data):
            out.append(f"malformed nlmsg_len={ln} at {off}")
            break
        p = data[off + 16:off + ln]
        fam, state = p[0], p[1]
        sport, dport = struct.unpack_from(">HH", p, 4)
        alen = 4 if fam == socket.AF_INET else 16
        src = socket.inet_ntop(fam, p[8:8 + alen])
        dst = socket.inet_ntop(fam, p[24:24 + alen])
        cookie = struct.unpack_from("=Q", p, 44)[0]
        inode = struct.unpack_from("=I", p, 68)[0]
        line = f"msg type={typ} family={fam} state={state} {src}:{sport} -> {dst}:{dport} cookie={cookie:#x} inode={inode}"
        a = 72
        while a + 4 <= len(p):
            alen2, atype = struct.unpack_from("=HH", p, a)
            if alen2 < 4:
                break
            val = p[a + 4:a + alen2]
            if atype == INET_DIAG_PROTOCOL:
                line += f" protocol={val[0]}"
            elif atype == INET_DIAG_INFO:
                f = lambda fmt, o: struct.unpack_from(fmt, val, o)[0] if len(val) >= o + struct.calcsize(fmt) else None
                line += (f" tcp_info[{len(val)}] rtt={f('=I', 68)} total_retrans={f('=I', 100)} bytes_acked={f('=Q', 120)}"
                         f" bytes_received={f('=Q', 128)} segs_out={f('=I', 136)} segs_in={f('=I', 140)}"
                         f" data_segs_in={f('=I', 152)} data_segs_out={f('=I', 156)} delivered={f('=I', 192)}"
                         f" bytes_sent={f('=Q', 200)} bytes_retrans={f('=Q', 208)}")
            a += (alen2 + 3) & ~3
        out.append(line)
        off += (ln + 3) & ~3
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    out = args.out[:-4] if args.out.endswith(".bin") else args.out
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
    s.bind((0, GROUPS))
    text = scenario(args.scenario)
    time.sleep(0.3)   # LAST_ACK / FIN_WAIT on loopback finish at once; leave margin
    s.setblocking(False)
    chunks = []
    while True:
        try:
            chunks.append(s.recv(65536))
        except BlockingIOError:
            break
    data = b"".join(chunks)
    with open(out + ".bin", "wb") as fh:
        fh.write(data)
    lines = [f"fixture: {os.path.basename(out)}.bin",
             "generator: tools/capture-destroy-events.py " + args.scenario,
             f"kernel: {platform.release()}", f"arch: {platform.machine()} (netlink fields host order, ports big-endian)",
             f"bind groups: {GROUPS:#x} (SKNLGRP_INET_TCP_DESTROY | SKNLGRP_INET6_TCP_DESTROY)",
             f"scenario: {text}",
             "chunk byte lengths: " + ", ".join(str(len(c)) for c in chunks),
             f"total bytes: {len(data)}", "decoded (one recv per event):"] + ["  " + l for l in decode(data)]
    with open(out + ".txt", "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
