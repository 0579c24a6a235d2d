#!/usr/bin/env python3
"""Capture raw NETLINK_SOCK_DIAG dump replies as test fixtures.

Sends one SOCK_DIAG_BY_FAMILY dump request (inet_diag_req_v2 or unix_diag_req)
on an AF_NETLINK/NETLINK_SOCK_DIAG raw socket and writes the RAW bytes of every
recv() concatenated into OUT.bin, plus OUT.txt describing the capture: kernel,
arch, request parameters and bytes, recv chunk sizes, `ss` output for the
sockets involved and the decoded messages (the expected values for parsers).

The capture reflects the network namespace the script runs in: run it under
`unshare --net` (see tools/make-fixtures.py) to get small, deterministic dumps.

Usage:
  capture-sockdiag.py inet --family 4|6 --protocol tcp|udp|NUM [--states 0xFFFFFFFF]
                           [--ext 0] [--ports 8080,9090] --out PATH[.bin]
  capture-sockdiag.py unix [--states 0xFFFFFFFF] [--show 0x15] --out PATH[.bin]
  capture-sockdiag.py decode PATH.bin [--kind inet|unix]   # print decoded messages

Only the standard library is used. Linux only. Struct layouts are those of
<linux/netlink.h>, <linux/sock_diag.h>, <linux/inet_diag.h>, <linux/unix_diag.h>.
"""

import argparse
import ipaddress
import os
import platform
import socket
import struct
import subprocess
import sys

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300  # NLM_F_ROOT | NLM_F_MATCH
NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE, NLMSG_OVERRUN = 1, 2, 3, 4
NLMSG_HDRLEN = 16
INET_DIAG_MSG_LEN = 72
UNIX_DIAG_MSG_LEN = 16
DEFAULT_SEQ = 0x5D1A6      # fixed so captures are reproducible
DEFAULT_PORTID = 0xF1C5    # fixed netlink port id (falls back to kernel-assigned)
DEFAULT_BUFSIZE = 65536

AF_UNIX, AF_INET, AF_INET6 = 1, 2, 10
PROTOS = {"tcp": 6, "udp": 17, "raw": 255, "udplite": 136, "sctp": 132, "mptcp": 262}

TCP_STATES = {
    1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2",
    6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN",
    11: "CLOSING", 12: "NEW_SYN_RECV",
}
UNIX_TYPES = {1: "STREAM", 2: "DGRAM", 5: "SEQPACKET"}

INET_ATTRS = {
    1: "MEMINFO", 2: "INFO", 3: "VEGASINFO", 4: "CONG", 5: "TOS", 6: "TCLASS",
    7: "SKMEMINFO", 8: "SHUTDOWN", 9: "DCTCPINFO", 10: "PROTOCOL", 11: "SKV6ONLY",
    12: "LOCALS", 13: "PEERS", 14: "PAD", 15: "MARK", 16: "BBRINFO", 17: "CLASS_ID",
    18: "MD5SIG", 19: "ULP_INFO", 20: "SK_BPF_STORAGES", 21: "CGROUP_ID", 22: "SOCKOPT",
}
UNIX_ATTRS = {
    0: "NAME", 1: "VFS", 2: "PEER", 3: "ICONS", 4: "RQLEN", 5: "MEMINFO",
    6: "SHUTDOWN", 7: "UID",
}
SKMEMINFO_FIELDS = ["rmem_alloc", "rcvbuf", "wmem_alloc", "sndbuf", "fwd_alloc",
                    "wmem_queued", "optmem", "backlog", "drops"]


# --------------------------------------------------------------------------- requests

def nlmsghdr(payload_len, msg_type, flags, seq, pid=0):
    return struct.pack("=IHHII", NLMSG_HDRLEN + payload_len, msg_type, flags, seq, pid)


def inet_request(family, protocol, ext=0, states=0xFFFFFFFF, seq=DEFAULT_SEQ):
    """nlmsghdr + inet_diag_req_v2 (56 bytes; the 48-byte inet_diag_sockid is zero)."""
    body = struct.pack("=BBBBI", family, protocol, ext, 0, states) + bytes(48)
    assert len(body) == 56
    return nlmsghdr(len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, seq) + body


def unix_request(states=0xFFFFFFFF, show=0x15, ino=0, seq=DEFAULT_SEQ):
    """nlmsghdr + unix_diag_req (24 bytes); cookie = INET_DIAG_NOCOOKIE (~0, ~0)."""
    body = struct.pack("=BBHIIIII", AF_UNIX, 0, 0, states, ino, show, 0xFFFFFFFF, 0xFFFFFFFF)
    assert len(body) == 24
    return nlmsghdr(len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, seq) + body


def dump(request, bufsize=DEFAULT_BUFSIZE, portid=DEFAULT_PORTID, timeout=5.0):
    """Send one dump request; return the list of raw recv() chunks (bytes)."""
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
    try:
        try:
            s.bind((portid, 0))
        except OSError:
            s.bind((0, 0))
        s.settimeout(timeout)
        s.send(request)
        chunks = []
        while True:
            chunk = s.recv(bufsize)
            if not chunk:
                break
            chunks.append(chunk)
            if any(m["type"] in (NLMSG_DONE, NLMSG_ERROR) for m in split_messages(chunk)[0]):
                break
        return chunks
    finally:
        s.close()


# --------------------------------------------------------------------------- decoding

def split_messages(buf):
    """Split a netlink byte stream. Returns (messages, problem or None).

    Stops at the first header that cannot be trusted (len < 16, len beyond buffer,
    or a truncated header)."""
    msgs, off = [], 0
    while off < len(buf):
        if len(buf) - off < NLMSG_HDRLEN:
            return msgs, f"truncated nlmsghdr at offset {off}: {len(buf) - off} bytes left"
        ln, typ, flags, seq, pid = struct.unpack_from("=IHHII", buf, off)
        if ln < NLMSG_HDRLEN:
            return msgs, f"nlmsg_len {ln} < 16 at offset {off}"
        if ln > len(buf) - off:
            return msgs, f"nlmsg_len {ln} at offset {off} exceeds the {len(buf) - off} bytes left"
        msgs.append({"offset": off, "len": ln, "type": typ, "flags": flags, "seq": seq,
                     "pid": pid, "payload": buf[off + NLMSG_HDRLEN: off + ln]})
        off += (ln + 3) & ~3
    return msgs, None


def split_attrs(data):
    """Split rtattrs. Returns (list of (type, value bytes, offset), problem or None)."""
    out, off = [], 0
    while off + 4 <= len(data):
        ln, typ = struct.unpack_from("=HH", data, off)
        if ln < 4:
            return out, f"rta_len {ln} < 4 at attr offset {off}"
        if ln > len(data) - off:
            return out, f"rta_len {ln} at attr offset {off} overruns the {len(data) - off} bytes left"
        out.append((typ, data[off + 4: off + ln], off))
        off += (ln + 3) & ~3
    if off < len(data):
        return out, f"{len(data) - off} trailing bytes after the last attribute"
    return out, None


def fmt_addr(family, raw16, port):
    if family == AF_INET:
        a = str(ipaddress.IPv4Address(raw16[:4]))
        return f"{a}:{port}"
    a = ipaddress.IPv6Address(raw16)
    if a.ipv4_mapped is not None:   # print like ss and .NET: [::ffff:127.0.0.1]
        return f"[::ffff:{a.ipv4_mapped}]:{port}"
    return f"[{a}]:{port}"


def decode_inet_attr(typ, val):
    name = INET_ATTRS.get(typ, f"ATTR{typ}")
    if typ in (5, 6, 8, 10, 11) and len(val) >= 1:
        return f"{name}={val[0]}"
    if typ in (15, 17) and len(val) >= 4:
        return f"{name}={struct.unpack_from('=I', val)[0]}"
    if typ == 21 and len(val) >= 8:
        return f"{name}={struct.unpack_from('=Q', val)[0]}"
    if typ == 22 and len(val) >= 2:
        return f"{name}=0x{struct.unpack_from('=H', val)[0]:04x}"
    if typ == 7 and len(val) >= 36:
        v = struct.unpack_from("=9I", val)
        return f"{name}(" + ",".join(f"{k}={x}" for k, x in zip(SKMEMINFO_FIELDS, v)) + ")"
    if typ == 1 and len(val) >= 16:
        v = struct.unpack_from("=4I", val)
        return f"{name}(rmem={v[0]},wmem={v[1]},fmem={v[2]},tmem={v[3]})"
    if typ == 4:
        return f"{name}={val.rstrip(bytes(1)).decode(errors='replace')}"
    if typ == 2 and len(val) >= 8:
        # tcp_info: state u8 @0, ca_state, retransmits, probes, backoff, options,
        # wscale, flags(delivery_rate_app_limited...) ; rto u32 @8, ato @12, snd_mss @16,
        # rcv_mss @20, unacked @24, sacked @28, lost @32, retrans @36 ... rtt @68, rttvar @72
        info = f"{name}(len={len(val)},state={val[0]}"
        if len(val) >= 76:
            rto, ato, snd_mss, rcv_mss, unacked, sacked = struct.unpack_from("=6I", val, 8)
            rtt, rttvar = struct.unpack_from("=2I", val, 68)
            info += f",unacked={unacked},sacked={sacked},snd_mss={snd_mss},rcv_mss={rcv_mss}"
        return info + ")"
    return f"{name}(len={len(val)})"


def decode_inet_msg(p):
    """Decode an inet_diag_msg payload (72 bytes + rtattrs) into a dict."""
    if len(p) < INET_DIAG_MSG_LEN:
        return {"error": f"payload {len(p)} bytes < {INET_DIAG_MSG_LEN} (inet_diag_msg)"}
    family, state, timer, retrans = struct.unpack_from("=BBBB", p, 0)
    sport, dport = struct.unpack_from(">HH", p, 4)
    src, dst = p[8:24], p[24:40]
    ifindex, cookie, expires, rqueue, wqueue, uid, inode = struct.unpack_from("=IQIIIII", p, 40)
    attrs, problem = split_attrs(p[INET_DIAG_MSG_LEN:])
    d = {"family": family, "state": state, "state_name": TCP_STATES.get(state, f"?{state}"),
         "timer": timer, "retrans": retrans, "local": fmt_addr(family, src, sport),
         "remote": fmt_addr(family, dst, dport), "ifindex": ifindex, "cookie": cookie,
         "expires": expires, "rqueue": rqueue, "wqueue": wqueue, "uid": uid, "inode": inode,
         "attrs": [decode_inet_attr(t, v) for t, v, _ in attrs],
         "attr_types": [t for t, _, _ in attrs]}
    if problem:
        d["attr_error"] = problem
    return d


def decode_unix_msg(p):
    if len(p) < UNIX_DIAG_MSG_LEN:
        return {"error": f"payload {len(p)} bytes < {UNIX_DIAG_MSG_LEN} (unix_diag_msg)"}
    family, typ, state, _pad, inode, cookie = struct.unpack_from("=BBBBIQ", p, 0)
    attrs, problem = split_attrs(p[UNIX_DIAG_MSG_LEN:])
    d = {"family": family, "type": typ, "type_name": UNIX_TYPES.get(typ, f"?{typ}"),
         "state": state, "state_name": TCP_STATES.get(state, f"?{state}"), "inode": inode,
         "cookie": cookie, "name": None, "peer": None, "rqlen": None, "attrs": []}
    for t, v, _ in attrs:
        n = UNIX_ATTRS.get(t, f"ATTR{t}")
        if t == 0:
            d["name"] = ("@" + v[1:].decode(errors="replace")) if v[:1] == b"\0" \
                else v.rstrip(b"\0").decode(errors="replace")
            d["attrs"].append(f"NAME={d['name']!r}(len={len(v)})")
        elif t == 2 and len(v) >= 4:
            d["peer"] = struct.unpack_from("=I", v)[0]
            d["attrs"].append(f"PEER={d['peer']}")
        elif t == 4 and len(v) >= 8:
            d["rqlen"] = struct.unpack_from("=II", v)
            d["attrs"].append(f"RQLEN(rqueue={d['rqlen'][0]},wqueue={d['rqlen'][1]})")
        elif t == 1 and len(v) >= 8:
            ino, dev = struct.unpack_from("=II", v)
            d["attrs"].append(f"VFS(ino={ino},dev=0x{dev:x})")
        elif t == 7 and len(v) >= 4:
            d["attrs"].append(f"UID={struct.unpack_from('=I', v)[0]}")
        elif t == 3:
            d["attrs"].append(f"ICONS={list(struct.unpack_from(f'={len(v)//4}I', v))}")
        elif t == 6 and len(v) >= 1:
            d["attrs"].append(f"SHUTDOWN={v[0]}")
        else:
            d["attrs"].append(f"{n}(len={len(v)})")
    if problem:
        d["attr_error"] = problem
    return d


def describe(buf, kind):
    """Human/test-readable decoding of a whole captured stream. Returns list of lines."""
    lines = []
    msgs, problem = split_messages(buf)
    sockets = 0
    for i, m in enumerate(msgs):
        head = (f"msg[{i}] offset={m['offset']} nlmsg_len={m['len']} type={m['type']} "
                f"flags=0x{m['flags']:x} seq=0x{m['seq']:x}")
        if m["type"] == NLMSG_DONE:
            v = struct.unpack_from("=i", m["payload"])[0] if len(m["payload"]) >= 4 else None
            lines.append(f"{head} NLMSG_DONE payload_int={v}")
        elif m["type"] == NLMSG_ERROR:
            v = struct.unpack_from("=i", m["payload"])[0] if len(m["payload"]) >= 4 else None
            lines.append(f"{head} NLMSG_ERROR error={v}"
                         + (f" ({os.strerror(-v)})" if v else " (ACK)"))
        elif m["type"] == SOCK_DIAG_BY_FAMILY:
            d = decode_inet_msg(m["payload"]) if kind == "inet" else decode_unix_msg(m["payload"])
            if "error" in d:
                lines.append(f"{head} MALFORMED: {d['error']}")
                continue
            sockets += 1
            if kind == "inet":
                lines.append(
                    f"{head}\n  sock state={d['state']}({d['state_name']}) local={d['local']} "
                    f"remote={d['remote']} inode={d['inode']} rqueue={d['rqueue']} "
                    f"wqueue={d['wqueue']} uid={d['uid']} timer={d['timer']} "
                    f"retrans={d['retrans']} expires={d['expires']} ifindex={d['ifindex']} "
                    f"cookie=0x{d['cookie']:x}\n  attrs: " + (" ".join(d["attrs"]) or "-"))
            else:
                lines.append(
                    f"{head}\n  sock type={d['type']}({d['type_name']}) "
                    f"state={d['state']}({d['state_name']}) inode={d['inode']} "
                    f"name={d['name']!r} peer={d['peer']} "
                    f"rqlen={list(d['rqlen']) if d['rqlen'] else None} "
                    f"cookie=0x{d['cookie']:x}\n  attrs: " + (" ".join(d["attrs"]) or "-"))
            if d.get("attr_error"):
                lines.append(f"  ATTRIBUTE ERROR: {d['attr_error']}")
        else:
            lines.append(f"{head} (unexpected type)")
    if problem:
        lines.append(f"STREAM ERROR: {problem}")
    lines.append(f"decoded sockets: {sockets}; netlink messages: {len(msgs)}")
    return lines


# --------------------------------------------------------------------------- capture

def run(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return r.stdout + (("stderr: " + r.stderr) if r.stderr.strip() else "")
    except (OSError, subprocess.SubprocessError) as e:
        return f"(failed: {e})\n"


def ss_commands(kind, family=None, protocol=None, ports=None):
    """ss invocations restricted to the sockets involved (plain and with -e for inodes)."""
    if kind == "unix":
        return [["ss", "-xanH"], ["ss", "-xanHe"]]
    pflag = {6: "-t", 17: "-u", 255: "-w"}.get(protocol)
    if pflag is None:
        return []
    fflag = "-4" if family == AF_INET else "-6"
    filt = []
    if ports:
        filt = ["( " + " or ".join(f"sport = :{p} or dport = :{p}" for p in ports) + " )"]
    return [["ss", pflag + "anH", fflag] + filt, ["ss", pflag + "anHe", fflag] + filt]


def write_capture(out, request, chunks, params, kind, ss_cmds, note=None, full_decode=True):
    base = out[:-4] if out.endswith(".bin") else out
    data = b"".join(chunks)
    with open(base + ".bin", "wb") as f:
        f.write(data)
    lines = [
        f"fixture: {os.path.basename(base)}.bin",
        "generator: tools/capture-sockdiag.py (see tools/make-fixtures.py for the scenario)",
        f"kernel: {platform.release()}",
        f"arch: {platform.machine()} (byte order: {sys.byteorder}-endian; netlink fields are "
        "host order, inet ports are big-endian)",
        "request: " + " ".join(f"{k}={v}" for k, v in params.items()),
        f"request bytes ({len(request)}): {request.hex()}",
        f"recv buffer size: {params.get('bufsize', DEFAULT_BUFSIZE)}",
        f"recv chunks: {len(chunks)}",
        "chunk byte lengths: " + ", ".join(str(len(c)) for c in chunks),
        f"total bytes: {len(data)}",
    ]
    per_chunk = []
    for i, c in enumerate(chunks):
        ms, _ = split_messages(c)
        types = {}
        for m in ms:
            types[m["type"]] = types.get(m["type"], 0) + 1
        per_chunk.append(f"  chunk[{i}] {len(c)} bytes, messages by type: {types}")
    lines.append("messages per chunk (type 20 = SOCK_DIAG_BY_FAMILY, 3 = DONE, 2 = ERROR):")
    lines += per_chunk
    if note:
        lines += ["", "scenario:"] + ["  " + l for l in note.strip().splitlines()]
    for cmd in ss_cmds:
        lines += ["", "$ " + " ".join(f"'{c}'" if " " in c else c for c in cmd)]
        lines.append(run(cmd).rstrip("\n") or "(no output)")
    lines += ["", "decoded (expected values; produced by the decoder in this script):"]
    dec = describe(data, kind)
    if full_decode:
        lines += dec
    else:
        lines += dec[:8] + [f"... ({len(dec) - 9} lines omitted; run "
                            f"`python3 tools/capture-sockdiag.py decode {os.path.basename(base)}.bin`"
                            " for all)"] + dec[-1:]
    with open(base + ".txt", "w") as f:
        f.write("\n".join(lines) + "\n")
    return data


def parse_int(s):
    return int(s, 0)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("inet", help="inet_diag dump (TCP/UDP/RAW over IPv4/IPv6)")
    a.add_argument("--family", choices=["4", "6"], required=True)
    a.add_argument("--protocol", default="tcp", help="tcp, udp, raw or a number")
    a.add_argument("--states", type=parse_int, default=0xFFFFFFFF)
    a.add_argument("--ext", type=parse_int, default=0)
    a.add_argument("--ports", default="", help="comma-separated ports to restrict ss output to")
    a.add_argument("--bufsize", type=int, default=DEFAULT_BUFSIZE)
    a.add_argument("--note", default=None)
    a.add_argument("--out", required=True)
    u = sub.add_parser("unix", help="unix_diag dump")
    u.add_argument("--states", type=parse_int, default=0xFFFFFFFF)
    u.add_argument("--show", type=parse_int, default=0x15, help="NAME 0x1|PEER 0x4|RQLEN 0x10")
    u.add_argument("--bufsize", type=int, default=DEFAULT_BUFSIZE)
    u.add_argument("--note", default=None)
    u.add_argument("--out", required=True)
    d = sub.add_parser("decode", help="decode a .bin capture")
    d.add_argument("path")
    d.add_argument("--kind", choices=["inet", "unix"], default=None)
    args = ap.parse_args(argv)

    if args.cmd == "decode":
        data = open(args.path, "rb").read()
        kind = args.kind or ("unix" if "unix" in os.path.basename(args.path) else "inet")
        print("\n".join(describe(data, kind)))
        return 0
    if args.cmd == "inet":
        family = AF_INET if args.family == "4" else AF_INET6
        proto = PROTOS.get(args.protocol.lower()) if not args.protocol.isdigit() else int(args.protocol)
        req = inet_request(family, proto, args.ext, args.states)
        params = {"family": family, "protocol": proto, "ext": f"0x{args.ext:x}",
                  "states": f"0x{args.states:08x}", "seq": f"0x{DEFAULT_SEQ:x}",
                  "nlmsg_type": SOCK_DIAG_BY_FAMILY, "nlmsg_flags": "0x301", "bufsize": args.bufsize}
        ports = [int(p) for p in args.ports.split(",") if p]
        cmds = ss_commands("inet", family, proto, ports)
        kind = "inet"
    else:
        req = unix_request(args.states, args.show)
        params = {"family": AF_UNIX, "protocol": 0, "states": f"0x{args.states:08x}",
                  "show": f"0x{args.show:x}", "cookie": "0xffffffff,0xffffffff",
                  "seq": f"0x{DEFAULT_SEQ:x}", "nlmsg_type": SOCK_DIAG_BY_FAMILY,
                  "nlmsg_flags": "0x301", "bufsize": args.bufsize}
        cmds = ss_commands("unix")
        kind = "unix"
    chunks = dump(req, args.bufsize)
    write_capture(args.out, req, chunks, params, kind, cmds, args.note)
    print(f"wrote {args.out}: {len(chunks)} chunk(s), {sum(map(len, chunks))} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
