#!/usr/bin/env python3
"""Holds raw, ping and packet sockets (run inside a test network namespace), prints one JSON line, waits for stdin EOF."""
import json, socket, sys

ETH_P_ALL, ETH_P_IP = 0x0003, 0x0800
held = [
    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),
    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),
    socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6),
    socket.socket(socket.AF_INET, socket.SOCK_RAW, 132),  # SCTP (132): labelled protocol="sctp"
]
ping = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
ping.bind(("127.0.0.1", 0))  # a ping socket is listed once bound (or used)
capture = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
capture.bind(("lo", 0))
dgram = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
held += [ping, capture, dgram]
print(json.dumps({"ready": True}), flush=True)
sys.stdin.read()
