#!/usr/bin/env python3
"""Regenerate tests/SocketExporter.Linux.Tests/Fixtures/ (netlink + proc fixtures).

Run as root on Linux from the repository root:

    python3 tools/make-fixtures.py [--out tests/SocketExporter.Linux.Tests/Fixtures]

What it does:
  1. `unshare --net` + `ip link set lo up`, creates the scenario sockets (see SCENARIO
     notes below), captures the sock_diag dumps with tools/capture-sockdiag.py and copies
     /proc/net/{tcp,tcp6,udp,udp6,unix} verbatim (phase "main").
  2. A second fresh namespace with ~600 TCP sockets for the multi-chunk dump (phase
     "multipart").
  3. Derives the malformed netlink fixtures from the tcp4 capture, writes
     proc/net/tcp-malformed, and builds the fake proc/<pid>/ trees (pids 4242, 4243, 1)
     from processes it starts (comm set with prctl(PR_SET_NAME)).

All traffic stays on the loopback interface of the throwaway namespaces. Inodes, cookies
and UDP/unix memory counters change from run to run: every .txt records the values of the
run that produced the .bin next to it, so regenerate .bin and .txt together and update the
tests' expected values (Fixtures/README.md lists the ones that matter).
"""

import argparse
import sys
sys.dont_write_bytecode = True  # keep tools/ free of __pycache__
import ctypes
import importlib.util
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_OUT = os.path.join(REPO, "tests", "SocketExporter.Linux.Tests", "Fixtures")
UNIX_DIR = "/tmp/fixture-cap"
UNIX_PATH = UNIX_DIR + "/listen.sock"
UNIX_ABSTRACT = "\0fixture-abstract"
SNAP_DIR = "/tmp/fixture-cap-snapshot"  # scratch: ss output to embed in proc/net/README.md

_spec = importlib.util.spec_from_file_location("capture_sockdiag", os.path.join(HERE, "capture-sockdiag.py"))
cap = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cap)
_spec2 = importlib.util.spec_from_file_location("fixture_readme", os.path.join(HERE, "fixture_readme.py"))
readme = importlib.util.module_from_spec(_spec2)
_spec2.loader.exec_module(readme)


def sh(*cmd):
    subprocess.run(cmd, check=True)


def tcp4(bind_port, connect_port=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", bind_port))
    if connect_port:
        s.connect(("127.0.0.1", connect_port))
    return s


def settle():
    time.sleep(0.5)  # let loopback ACKs arrive so wqueue (unacked bytes) reads 0


def capture_inet(out, name, family, proto, ports, note, ext=0, states=0xFFFFFFFF, full=True, ss_plain_only=False):
    fam = cap.AF_INET if family == 4 else cap.AF_INET6
    req = cap.inet_request(fam, proto, ext, states)
    chunks = cap.dump(req)
    params = {"family": fam, "protocol": proto, "ext": f"0x{ext:x}", "states": f"0x{states:08x}",
              "seq": f"0x{cap.DEFAULT_SEQ:x}", "nlmsg_type": 20, "nlmsg_flags": "0x301",
              "bufsize": cap.DEFAULT_BUFSIZE}
    cmds = cap.ss_commands("inet", fam, proto, ports)
    if ss_plain_only:
        cmds = cmds[:1]
    cap.write_capture(os.path.join(out, "netlink", name), req, chunks, params, "inet", cmds, note, full)
    print(f"  {name}: {len(chunks)} chunk(s) {[len(c) for c in chunks]}")


def capture_unix(out, name, note, show=0x15):
    req = cap.unix_request(0xFFFFFFFF, show)
    chunks = cap.dump(req)
    params = {"family": 1, "protocol": 0, "states": "0xffffffff", "show": f"0x{show:x}",
              "cookie": "0xffffffff,0xffffffff", "seq": f"0x{cap.DEFAULT_SEQ:x}",
              "nlmsg_type": 20, "nlmsg_flags": "0x301", "bufsize": cap.DEFAULT_BUFSIZE}
    cap.write_capture(os.path.join(out, "netlink", name), req, chunks, params, "unix",
                      cap.ss_commands("unix"), note)
    print(f"  {name}: {len(chunks)} chunk(s) {[len(c) for c in chunks]}")


# --------------------------------------------------------------------------- phase: main

def phase_main(out):
    sh("ip", "link", "set", "lo", "up")
    keep = []

    # tcp4: listener backlog 5, one accepted connection, three waiting in the accept queue.
    lst = tcp4(8080)
    lst.listen(5)
    c1 = tcp4(40001, 8080)
    a1, _ = lst.accept()
    c2, c3, c4 = (tcp4(p, 8080) for p in (40002, 40003, 40004))
    c1.sendall(b"hello world")   # a1 rqueue 11
    a1.sendall(b"12345")         # c1 rqueue 5
    c2.sendall(b"pending")       # un-accepted child of c2: rqueue 7
    keep += [lst, c1, a1, c2, c3, c4]

    # tcp6: v6only listener on [::1]:8443, dual-stack on [::]:9090, one connection to each
    l6a = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    l6a.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    l6a.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l6a.bind(("::1", 8443))
    l6a.listen(16)
    l6b = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    l6b.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    l6b.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l6b.bind(("::", 9090))
    l6b.listen(32)
    c6a = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    c6a.bind(("::1", 40011))
    c6a.connect(("::1", 8443))
    a6a, _ = l6a.accept()
    c6b = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)  # v4-mapped client, still AF_INET6
    c6b.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    c6b.bind(("::ffff:127.0.0.1", 40012))
    c6b.connect(("::ffff:127.0.0.1", 9090))
    a6b, _ = l6b.accept()
    keep += [l6a, l6b, c6a, a6a, c6b, a6b]

    # udp
    u1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u1.bind(("127.0.0.1", 5353))
    u2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u2.bind(("127.0.0.1", 5354))
    u2.connect(("127.0.0.1", 5353))
    u2.send(b"query")            # queued, unread, on u1
    u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    u6.bind(("::1", 5355))
    keep += [u1, u2, u6]

    # unix: path listener backlog 4 (1 accepted pair + 2 waiting), abstract listener
    shutil.rmtree(UNIX_DIR, ignore_errors=True)
    os.makedirs(UNIX_DIR)
    ul = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ul.bind(UNIX_PATH)
    ul.listen(4)
    uc1 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    uc1.connect(UNIX_PATH)
    ua1, _ = ul.accept()
    uc1.sendall(b"unread")       # ua1 rqueue 6
    uc2 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    uc2.connect(UNIX_PATH)
    uc3 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    uc3.connect(UNIX_PATH)
    uab = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    uab.bind(UNIX_ABSTRACT)
    uab.listen(8)
    keep += [ul, uc1, ua1, uc2, uc3, uab]

    settle()
    os.makedirs(os.path.join(out, "netlink"), exist_ok=True)
    capture_inet(out, "tcp4-listen-and-established", 4, 6, [8080], """\
127.0.0.1:8080 listen(5); client 127.0.0.1:40001 connected and accepted; clients
127.0.0.1:40002, :40003, :40004 connected but NOT accepted (accept queue 3).
40001 sent b"hello world" (11 B) unread by the server side; the server side sent b"12345"
(5 B) unread by 40001; 40002 sent b"pending" (7 B), unread (its server side is not accepted).
Expected: 9 sockets. LISTEN 127.0.0.1:8080 rqueue=3 wqueue=5 (accept queue / backlog).
Server side of 40001: ESTABLISHED, inode != 0, rqueue 11. Client 40001: rqueue 5.
Server sides of 40002..40004: ESTABLISHED, inode 0 (not accept()ed yet); 40002's rqueue 7.
Clients 40002..40004: ESTABLISHED, inode != 0, rqueue 0. All wqueue 0 except the listener.
ext=0, yet kernel 6.18 still attaches SHUTDOWN(8), MARK(15), CGROUP_ID(21), SOCKOPT(22).""")
    capture_inet(out, "tcp4-ext-info-meminfo", 4, 6, [8080], """\
Same sockets as tcp4-listen-and-established, requested with ext = INFO(2) | SKMEMINFO(7)
= (1<<1)|(1<<6) = 0x42: every message also carries INET_DIAG_INFO (struct tcp_info;
its length is kernel-specific, see attrs below) and INET_DIAG_SKMEMINFO (u32[9]).""", ext=0x42)
    capture_inet(out, "tcp4-listen-only", 4, 6, [8080], """\
Same sockets as tcp4-listen-and-established, states = 1<<10 (TCP_LISTEN only) = 0x400.
Expected: exactly 1 socket, LISTEN 127.0.0.1:8080 rqueue=3 wqueue=5.""", states=1 << 10)
    capture_inet(out, "tcp6-listen-v6only", 6, 6, [8443, 9090], """\
[::1]:8443 IPV6_V6ONLY=1 listen(16); [::]:9090 IPV6_V6ONLY=0 (dual-stack) listen(32).
Client [::1]:40011 -> [::1]:8443 accepted; client [::ffff:127.0.0.1]:40012 (an AF_INET6
socket using a v4-mapped address) -> [::ffff:127.0.0.1]:9090 accepted.
Expected: 6 sockets, all family 10. Listeners: rqueue 0, wqueue = backlog (16 / 32) and
carry INET_DIAG_SKV6ONLY(11) = 1 for 8443, 0 for 9090 (the kernel sends SKV6ONLY only
for LISTEN/CLOSE sockets). The 40012 pair shows ::ffff:127.0.0.1 addresses.""")
    capture_inet(out, "udp4-bound-and-connected", 4, 17, [5353, 5354], """\
UDP 127.0.0.1:5353 bound, unconnected; UDP 127.0.0.1:5354 connected to 127.0.0.1:5353
and sent one 5-byte datagram that 5353 has not read.
Expected: 2 sockets. 5353: state 7 (CLOSE; ss prints UNCONN), remote 0.0.0.0:0,
rqueue = the skb truesize of the queued datagram (NOT 5 - UDP reports memory, see the value
below). 5354: state 1 (ESTABLISHED), remote 127.0.0.1:5353, rqueue 0.""")
    capture_inet(out, "udp6-bound", 6, 17, [5355], """\
UDP [::1]:5355 bound, unconnected. Expected: 1 socket, state 7, local [::1]:5355,
remote [::]:0, carries SKV6ONLY (0).""")
    capture_unix(out, "unix-listen-and-connected", f"""\
Unix stream listener at {UNIX_PATH} listen(4); client 1 connected and accepted (client 1
sent b"unread", 6 B, not read by the accepted side); clients 2 and 3 connected, not
accepted. Abstract stream listener @fixture-abstract listen(8). show = NAME|PEER|RQLEN.
Expected: 6 sockets, all type 1 (STREAM):
  path listener      state 10 NAME '{UNIX_PATH}' (len 29 incl. NUL) RQLEN [2, 4] = pending, backlog
  abstract listener  state 10 NAME = NUL + 'fixture-abstract' (attr len 17; shown '@fixture-abstract') RQLEN [0, 8]
  accepted side      state 1 NAME = the listener's path, PEER = client 1's inode, RQLEN [6, 0]
  client 1           state 1 no NAME, PEER = accepted side's inode, RQLEN [0, wmem in use] (skb truesize, not 6)
  clients 2 and 3    state 1 no NAME, PEER = 0, RQLEN [0, 0]
The 2 embryo (server-side, not yet accept()ed) sockets have no inode and are NOT in the
dump (they are in /proc/net/unix with inode 0 and state 02), which is why clients 2/3 report
PEER 0; their identity is only visible through UNIX_DIAG_ICONS of the listener (see
unix-all-attrs). Non-listeners: RQLEN = [bytes queued to read, send-buffer bytes in use].""")
    capture_unix(out, "unix-all-attrs", f"""\
Same sockets as unix-listen-and-connected, show = NAME|VFS|PEER|ICONS|RQLEN|UID = 0x5f.
Adds VFS (inode + device of the socket file, path sockets only), ICONS (the path listener
lists the peer inodes of its 2 pending connections = clients 2 and 3) and UID (0).""", show=0x5F)
    capture_inet(out, "raw4-enoent", 4, 255, [], """\
REAL kernel reply (not hand-made): inet_diag request for protocol 255 (raw) on a kernel
built without CONFIG_INET_RAW_DIAG. Expected: no sockets, a single NLMSG_DONE whose
payload is -2 (ENOENT) - an error, not an empty dump. ss silently falls back to /proc/net/raw.""")

    pn = os.path.join(out, "proc", "net")
    os.makedirs(pn, exist_ok=True)
    for f in ("tcp", "tcp6", "udp", "udp6", "unix"):
        with open(f"/proc/net/{f}", "rb") as src, open(os.path.join(pn, f), "wb") as dst:
            dst.write(src.read())
    with open(os.path.join(SNAP_DIR, "ss-snapshot.txt"), "w") as f:
        for cmd in (["ss", "-tuanHe"], ["ss", "-xanHe"]):
            f.write("$ " + " ".join(cmd) + "\n" + cap.run(cmd))
    for s in keep:
        s.close()
    shutil.rmtree(UNIX_DIR, ignore_errors=True)


def phase_multipart(out):
    sh("ip", "link", "set", "lo", "up")
    lst = tcp4(7000)
    lst.listen(512)
    keep = [lst]
    for i in range(300):
        c = tcp4(30000 + i, 7000)
        a, _ = lst.accept()
        keep += [c, a]
    settle()
    capture_inet(out, "tcp4-multipart", 4, 6, [7000], """\
127.0.0.1:7000 listen(512); 300 clients bound to 127.0.0.1:30000..30299 connected and
accepted. Expected: 601 sockets = 1 LISTEN (rqueue 0, wqueue 512) + 600 ESTABLISHED
(300 with local port 7000, 300 with remote port 7000), all inodes != 0, all queues 0.
The reply spans several recv() chunks (see chunk byte lengths); each chunk holds whole
netlink messages only, NLMSG_DONE comes last.""", full=False, ss_plain_only=True)
    for s in keep:
        s.close()


# --------------------------------------------------------------------------- malformed

def write_malformed(out):
    nl = os.path.join(out, "netlink")
    data = open(os.path.join(nl, "tcp4-listen-and-established.bin"), "rb").read()
    msgs, problem = cap.split_messages(data)
    assert problem is None
    socks = [m for m in msgs if m["type"] == 20]
    done = [m for m in msgs if m["type"] == 3]
    assert len(done) == 1 and msgs[-1]["type"] == 3

    def raw(m):
        return data[m["offset"]: m["offset"] + m["len"]]

    def sock_line(m):
        d = cap.decode_inet_msg(m["payload"])
        return (f"state={d['state']}({d['state_name']}) local={d['local']} remote={d['remote']} "
                f"inode={d['inode']} rqueue={d['rqueue']} wqueue={d['wqueue']}")

    m0, m1 = socks[0], socks[1]
    seq, pid = m0["seq"], m0["pid"]
    L0, L1 = m0["len"], m1["len"]
    good_all = b"".join(raw(m) for m in socks)
    done_ok = raw(done[0])
    hdr = struct.Struct("=IHHII")
    req = cap.inet_request(2, 6)

    def patch_len(m, new_len):
        b = bytearray(raw(m))
        struct.pack_into("=I", b, 0, new_len)
        return bytes(b)

    common = (f"source: tcp4-listen-and-established.bin ({len(data)} bytes, {len(socks)} socket "
              f"messages + NLMSG_DONE). Message 0 (offset 0, {L0} bytes) = {sock_line(m0)}.\n"
              f"Message 1 (offset {L0}, {L1} bytes) = {sock_line(m1)}.\n"
              "Generated by tools/make-fixtures.py (write_malformed).\n")
    fixtures = {}

    # 1. stream cut inside message 1's inet_diag_msg
    cut = 16 + 40
    fixtures["tcp4-truncated-message"] = (raw(m0) + raw(m1)[:cut], f"""\
Message 0 complete, then the stream ends {cut} bytes into message 1: its 16-byte header is
intact (nlmsg_len still says {L1}) but only 40 of the 72 inet_diag_msg bytes are present
(cut after the src address). Total {L0 + cut} bytes, no NLMSG_DONE.
Expected: 1 socket decoded (message 0), then a truncation error (nlmsg_len {L1} > {cut}
bytes left at offset {L0}). No socket may be produced from message 1; nothing may be read
past the end of the buffer.""")

    # 2. nlmsg_len consistent with the buffer but too short to hold inet_diag_msg
    short = bytearray(raw(m1)[:16 + 40])
    struct.pack_into("=I", short, 0, 16 + 40)
    fixtures["tcp4-short-payload"] = (raw(m0) + bytes(short) + b"".join(raw(m) for m in socks[2:]) + done_ok, f"""\
Message 0 complete; message 1 has nlmsg_len rewritten to 56 and really is 56 bytes long
(header + the first 40 bytes of inet_diag_msg), so the netlink framing stays valid; then
messages 2..{len(socks) - 1} and NLMSG_DONE unchanged.
Expected: message 1 is malformed (payload 40 < 72 bytes of inet_diag_msg) and yields no
socket. The stream itself is well-formed: a parser that skips bad records decodes
{len(socks) - 1} sockets and reaches DONE (0); a strict one reports the bad record.
Either way exactly 1 malformed record.""")

    # 3. nlmsg_len < 16 (and 0)
    for name, bad in (("tcp4-bad-nlmsg-len", 8), ("tcp4-zero-nlmsg-len", 0)):
        fixtures[name] = (raw(m0) + patch_len(m1, bad) + b"".join(raw(m) for m in socks[2:]) + done_ok, f"""\
Same bytes as the source except that message 1's nlmsg_len (offset {L0}) is {bad}
(smaller than the 16-byte nlmsghdr{'; a parser that advances by nlmsg_len loops forever' if bad == 0 else ''}).
Expected: 1 socket decoded (message 0), then an error "nlmsg_len {bad} < 16". The parser
must stop (it cannot find the next message) and must not return the later sockets.""")

    # 4. nlmsg_len beyond the buffer
    rest = raw(m1) + b"".join(raw(m) for m in socks[2:]) + done_ok
    big = len(rest) + 4096
    fixtures["tcp4-len-beyond-buffer"] = (raw(m0) + patch_len(m1, big) + rest[L1:], f"""\
Same bytes as the source except that message 1's nlmsg_len (offset {L0}) is {big}, while
only {len(rest)} bytes remain in the buffer from that offset.
Expected: 1 socket decoded (message 0), then an error "nlmsg_len {big} exceeds the
{len(rest)} bytes left". Nothing may be read past the end of the buffer.""")

    # 5. NLMSG_ERROR -13 after one good message
    err_payload = struct.pack("=i", -13) + req[:16]  # error + the request's nlmsghdr (NLM_F_CAPPED)
    err = hdr.pack(16 + len(err_payload), 2, 0x100, seq, pid) + err_payload
    fixtures["tcp4-nlmsg-error"] = (raw(m0) + err, f"""\
Message 0 complete, then an NLMSG_ERROR (type 2, flags 0x100 NLM_F_CAPPED, nlmsg_len 36):
payload = int error -13 (EACCES) followed by the original request's 16-byte nlmsghdr
({req[:16].hex()}). No NLMSG_DONE follows (the kernel ends a dump with the error).
Expected: the dump fails with errno 13 (EACCES / permission denied), after 1 socket had
been decoded; the caller must treat the whole dump as failed (not as 1 socket).""")

    # 6. NLMSG_DONE with -2
    done_neg = hdr.pack(20, 3, 0x2, seq, pid) + struct.pack("=i", -2)
    fixtures["tcp4-done-negative"] = (raw(m0) + raw(m1) + done_neg, f"""\
Messages 0 and 1 complete, then NLMSG_DONE (type 3, flags 0x2 NLM_F_MULTI, nlmsg_len 20)
whose 4-byte payload is -2 (ENOENT) instead of 0.
Expected: the dump fails with errno 2 (ENOENT) after 2 sockets had been decoded; a DONE
with a negative payload is an error, not the end of a successful dump. (raw4-enoent.bin is
the real kernel reply of this kind, with no socket before it.)""")

    # 7. no DONE
    fixtures["tcp4-no-done"] = (good_all, f"""\
All {len(socks)} socket messages of the source ({len(good_all)} bytes), NLMSG_DONE removed:
the dump was cut (e.g. the reader stopped or the socket was closed).
Expected: {len(socks)} sockets decode, but the dump is incomplete: the parser must report
"no NLMSG_DONE" (when fed this buffer as the whole reply) rather than success.""")

    # 8. attribute overruns its message
    attrs, _ = cap.split_attrs(m0["payload"][72:])
    assert attrs, "expected rtattrs on the first message"
    first_attr_off = 16 + 72
    b = bytearray(raw(m0))
    room = L0 - first_attr_off
    struct.pack_into("=H", b, first_attr_off, room + 8)
    t0 = cap.INET_ATTRS.get(attrs[0][0], attrs[0][0])
    fixtures["tcp4-bad-attribute"] = (bytes(b) + good_all[L0:] + done_ok, f"""\
Same bytes as the source except message 0's first rtattr ({t0}, at byte {first_attr_off} of the
message / of the file) has rta_len {room + 8} while only {room} attribute bytes remain in
the message (nlmsg_len {L0} unchanged).
Expected: message 0's fixed inet_diag_msg fields still decode ({sock_line(m0)}),
its attribute walk reports "rta_len overruns the message" and reads nothing past byte
{L0}; messages 1..{len(socks) - 1} and DONE are untouched and decode normally
({len(socks)} sockets if the parser keeps the socket and drops its attributes, {len(socks) - 1} if it drops
the whole record; either way 1 attribute error).""")
    b2 = bytearray(raw(m0))
    struct.pack_into("=H", b2, first_attr_off, 2)
    fixtures["tcp4-attr-len-short"] = (bytes(b2) + good_all[L0:] + done_ok, f"""\
Same bytes as the source except message 0's first rtattr ({t0}, at byte {first_attr_off})
has rta_len 2 (< 4, the rtattr header size; a parser that advances by rta_len would loop
forever on 0 and misparse on 2).
Expected: like tcp4-bad-attribute: an attribute error on message 0 only; messages 1..
{len(socks) - 1} and DONE decode normally.""")

    for name, (blob, text) in fixtures.items():
        with open(os.path.join(nl, name + ".bin"), "wb") as f:
            f.write(blob)
        dec = cap.describe(blob, "inet")
        with open(os.path.join(nl, name + ".txt"), "w") as f:
            f.write(f"fixture: {name}.bin (HAND-MADE, malformed)\n{common}\n{text}\n"
                    f"size: {len(blob)} bytes\n\nreference decoder output "
                    "(tools/capture-sockdiag.py decode; it stops at the first untrustworthy header):\n"
                    + "\n".join(dec) + "\n")
    return {k: t for k, (_, t) in fixtures.items()}


def write_proc_net_malformed(out):
    pn = os.path.join(out, "proc", "net")
    lines = open(os.path.join(pn, "tcp")).read().split("\n")
    header = lines[0]
    rows = [l for l in lines[1:] if l.strip()]
    listen = next(l for l in rows if l.split()[1] == "0100007F:1F90" and l.split()[3] == "0A")
    est = next(l for l in rows if l.split()[1] == "0100007F:9C41")  # 127.0.0.1:40001 -> 8080
    f = est.split()
    def sl(n, line):      # renumber the "sl" column
        return f"{n:4d}:" + line.split(":", 1)[1]
    too_few = sl(1, est).split()
    too_few = "   1: " + " ".join(too_few[1:4])
    nonhex_addr = sl(2, est.replace("0100007F:9C41", "01Z0007G:9C41", 1))
    nonhex_port = sl(3, est.replace("0100007F:9C41", "0100007F:9CXQ", 1))
    trunc = sl(5, est)
    trunc = trunc[: trunc.index(f[4]) + 12]   # cut inside tx_queue:rx_queue
    body = [header, sl(0, listen), too_few, nonhex_addr, "", nonhex_port, sl(4, est), trunc]
    text = "\n".join(body)  # deliberately no trailing newline: the last line is cut short
    with open(os.path.join(pn, "tcp-malformed"), "w") as fh:
        fh.write(text)
    return body, listen, est


# --------------------------------------------------------------------------- proc/<pid>

CHILD = r"""
import ctypes, json, resource, sys
name, soft, hard = sys.argv[1].encode(), int(sys.argv[2]), int(sys.argv[3])
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(15, ctypes.c_char_p(name), 0, 0, 0) != 0:   # PR_SET_NAME
    raise OSError(ctypes.get_errno(), "prctl")
resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
out = {}
for f in ("stat", "status", "limits", "comm"):
    out[f] = open("/proc/self/" + f).read()
print(json.dumps(out))
"""


def capture_process(name, soft, hard):
    r = subprocess.run([sys.executable, "-c", CHILD, name, str(soft), str(hard)],
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout)


def rewrite_stat(stat, pid, ppid):
    lp, rp = stat.index("("), stat.rindex(")")
    rest = stat[rp + 2:].split(" ")
    rest[1] = str(ppid)                       # field 4 (ppid)
    return f"{pid} {stat[lp:rp + 1]} " + " ".join(rest)


def rewrite_status(status, pid, ppid):
    out = []
    for line in status.split("\n"):
        k = line.split(":", 1)[0]
        if k in ("Pid", "Tgid", "NStgid", "NSpid"):
            line = f"{k}:\t{pid}"
        elif k == "PPid":
            line = f"{k}:\t{ppid}"
        out.append(line)
    return "\n".join(out)


def write_pid(out, pid, ppid, proc, cgroup, fds, stat_override=None):
    d = os.path.join(out, "proc", str(pid))
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    stat = stat_override if stat_override is not None else rewrite_stat(proc["stat"], pid, ppid)
    files = {"stat": stat, "status": rewrite_status(proc["status"], pid, ppid),
             "limits": proc["limits"], "comm": proc["comm"], "cgroup": cgroup}
    for k, v in files.items():
        with open(os.path.join(d, k), "w") as f:
            f.write(v)
    if fds is not None:
        os.makedirs(os.path.join(d, "fd"))
        for n, target in fds:
            os.symlink(target, os.path.join(d, "fd", str(n)))
    return files


def write_procs(out, listener_inode, unix_listener_inode):
    p4242 = capture_process("evil) x", 1024, 16384)
    p1 = capture_process("systemd", 4096, 8192)
    p4243 = capture_process("worker", 2048, 2048)
    fd4242 = [(0, "/dev/null"), (1, "pipe:[12345]"), (3, "socket:[5001]"), (4, "socket:[5002]"),
              (5, "anon_inode:[eventpoll]"), (6, "/tmp/x (deleted)"), (7, "/memfd:buf (deleted)"),
              (8, "net:[4026531840]"), (9, f"socket:[{listener_inode}]"),
              (10, f"socket:[{unix_listener_inode}]")]
    fd1 = [(0, "/dev/null"), (1, "/dev/null"), (2, "/dev/null"), (3, "socket:[5001]"),
           (4, "socket:[5003]"), (5, "anon_inode:inotify")]
    f4242 = write_pid(out, 4242, 1, p4242, "0::/system.slice/ssh.service\n", fd4242)
    f1 = write_pid(out, 1, 0, p1, "0::/init.scope\n", fd1)
    full = rewrite_stat(p4243["stat"], 4243, 1)
    rp = full.rindex(")")
    fields = full[rp + 2:].split(" ")
    # keep fields 3..8 (state .. tpgid) whole, then the first 3 characters of field 9
    # (flags); no trailing newline: utime/stime/starttime/vsize/rss are all missing
    trunc = full[: rp + 2] + " ".join(fields[:6]) + " " + fields[6][:3]
    k8s = ("0::/kubepods.slice/kubepods-burstable.slice/"
           "kubepods-burstable-pod1f2e3d4c_5b6a_4978_8695_a4b3c2d1e0f9.slice/"
           "cri-containerd-" + "0123456789abcdef" * 4 + ".scope\n")
    f4243 = write_pid(out, 4243, 1, p4243, k8s, None, stat_override=trunc)
    return {"4242": (f4242, fd4242), "1": (f1, fd1), "4243": (f4243, None), "full4243": full}


# --------------------------------------------------------------------------- driver

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--phase", choices=["main", "multipart"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    if args.phase == "main":
        return phase_main(out)
    if args.phase == "multipart":
        return phase_multipart(out)

    if os.geteuid() != 0:
        sys.exit("run as root (unshare --net, prctl, /proc reads)")
    for sub in ("netlink", "proc"):
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
    os.makedirs(out, exist_ok=True)
    os.makedirs(SNAP_DIR, exist_ok=True)
    for phase in ("main", "multipart"):
        print(f"phase {phase} (unshare --net)")
        sh("unshare", "--net", "--", sys.executable, os.path.abspath(__file__), "--phase", phase, "--out", out)
    print("malformed netlink fixtures")
    malformed = write_malformed(out)
    print("proc/net/tcp-malformed")
    pnm = write_proc_net_malformed(out)
    print("proc/<pid> trees")
    data = open(os.path.join(out, "netlink", "tcp4-listen-and-established.bin"), "rb").read()
    lst = next(cap.decode_inet_msg(m["payload"]) for m in cap.split_messages(data)[0]
               if m["type"] == 20 and cap.decode_inet_msg(m["payload"])["state"] == 10)
    udata = open(os.path.join(out, "netlink", "unix-listen-and-connected.bin"), "rb").read()
    ulst = next(cap.decode_unix_msg(m["payload"]) for m in cap.split_messages(udata)[0]
                if m["type"] == 20 and cap.decode_unix_msg(m["payload"])["name"] == UNIX_PATH
                and cap.decode_unix_msg(m["payload"])["state"] == 10)
    res = write_procs(out, lst["inode"], ulst["inode"])
    with open(os.path.join(out, ".gitattributes"), "w") as f:
        f.write("# fixtures are byte-exact: no end-of-line conversion, no diffs of binaries\n"
                "* -text\n*.bin binary\n")
    print("README files")
    readme.write_all(out, cap, malformed, pnm, res, lst["inode"], ulst["inode"])
    shutil.rmtree(SNAP_DIR, ignore_errors=True)
    print("done")


if __name__ == "__main__":
    main()
