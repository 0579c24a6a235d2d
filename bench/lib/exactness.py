"""Exactness at scale: the load's listeners and per-state connection counts in one /metrics body against `ss`.

    python3 bench/lib/exactness.py --body METRICS --ss-before SS --ss-after SS --ss-listeners SSP --ports MIN-MAX

SS files are `ss -Htan` output taken right before and right after the scrape, SSP is `ss -Htlnp` (listeners with
their holders). Only sockets of the load count: TCP listeners whose port lies in MIN-MAX (loadgen's --port-base
range, below the ephemeral range, so no other program's connection lands there by chance) and connections with
either port in it. Compared:
  * listener endpoints: the (address, port) set of socket_listening{protocol="tcp"} against ss's listeners;
  * listener holders: the (address, port, pid) set against the pids `ss -p` names;
  * connections per state: socket_connections{protocol="tcp"} summed by state over the load's service ports, against
    ss's count. Each connection of the load has one holder (loadgen never shares an accepted or connected socket),
    so the per-process series sum to the socket count; a socket several processes hold would count once per holder.
Exit status: 0 all equal (OK), 1 a difference (MISMATCH, with the difference printed), 3 the two ss runs differ
(the load moved during the scrape: the caller retries).
"""
import argparse
import re
import sys
from collections import Counter

# ss's state names (ss -tan) to the kernel names socket_connections uses (tcp_states.h, lower case).
SS_STATES = {
    "ESTAB": "established", "SYN-SENT": "syn_sent", "SYN-RECV": "syn_recv", "FIN-WAIT-1": "fin_wait1",
    "FIN-WAIT-2": "fin_wait2", "TIME-WAIT": "time_wait", "CLOSE": "close", "UNCONN": "close",
    "CLOSE-WAIT": "close_wait", "LAST-ACK": "last_ack", "LISTEN": "listen", "CLOSING": "closing",
}
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def endpoint(text):
    """'127.0.0.1:80' / '[::1]:80' / '[::1]%lo:80' -> (address, port)."""
    host, _, port = text.rpartition(":")
    host = host.split("%", 1)[0].strip("[]")
    return host, int(port) if port.isdigit() else -1


def read_ss(path, lo, hi):
    """Listener endpoints and per-state connection counts of the load in one `ss -Htan` output."""
    listeners, states = set(), Counter()
    with open(path) as f:
        for line in f:
            fields = line.split()
            if len(fields) < 5:
                continue
            state = SS_STATES.get(fields[0], fields[0].lower())
            local, peer = endpoint(fields[3]), endpoint(fields[4])
            if state == "listen":
                if lo <= local[1] <= hi:
                    listeners.add(local)
            elif lo <= local[1] <= hi or lo <= peer[1] <= hi:
                states[state] += 1
    return listeners, states


def read_ss_holders(path, lo, hi):
    holders = set()
    with open(path) as f:
        for line in f:
            fields = line.split(None, 5)
            if len(fields) < 5:
                continue
            address, port = endpoint(fields[3])
            if lo <= port <= hi:
                for pid in re.findall(r"pid=(\d+)", fields[5] if len(fields) > 5 else ""):
                    holders.add((address, port, pid))
    return holders


def read_metrics(path, lo, hi):
    listeners, holders, states, unheld = set(), set(), Counter(), 0
    with open(path) as f:
        for line in f:
            if not line.startswith(("socket_listening{", "socket_connections{")):
                continue
            name, rest = line.split("{", 1)
            labels_text, _, value = rest.rpartition("}")
            labels = dict(LABEL.findall(labels_text))
            if labels.get("protocol") != "tcp" or not labels.get("port", "").isdigit():
                continue
            port = int(labels["port"])
            if not lo <= port <= hi:
                continue
            if name == "socket_listening":
                listeners.add((labels["address"], port))
                holders.add((labels["address"], port, labels.get("pid", "")))
            else:
                n = int(float(value))
                states[labels["state"]] += n
                if labels.get("pid", "") == "":
                    unheld += n
    return listeners, holders, states, unheld


def diff(name, ours, theirs):
    """One line: OK, or MISMATCH with what only one side has."""
    if ours == theirs:
        return True, f"  {name:<24} OK        ({len(ours)} equal)"
    only_ours, only_ss = sorted(ours - theirs), sorted(theirs - ours)
    return False, (f"  {name:<24} MISMATCH  ours {len(ours)}, ss {len(theirs)}; only ours: {only_ours[:5]}"
                   f"{' ...' if len(only_ours) > 5 else ''}; only ss: {only_ss[:5]}{' ...' if len(only_ss) > 5 else ''}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--body", required=True)
    ap.add_argument("--ss-before", required=True)
    ap.add_argument("--ss-after", required=True)
    ap.add_argument("--ss-listeners", required=True)
    ap.add_argument("--ports", required=True, help="MIN-MAX")
    args = ap.parse_args()
    lo, hi = map(int, args.ports.split("-"))

    before, after = read_ss(args.ss_before, lo, hi), read_ss(args.ss_after, lo, hi)
    if before != after:
        print(f"  unstable: the load's sockets changed between the ss runs around the scrape "
              f"({sum(before[1].values())} -> {sum(after[1].values())} connections)")
        return 3
    ss_listeners, ss_states = before
    ss_holders = read_ss_holders(args.ss_listeners, lo, hi)
    listeners, holders, states, unheld = read_metrics(args.body, lo, hi)

    ok = True
    for name, ours, theirs in (("listener endpoints", listeners, ss_listeners),
                               ("listener holders", holders, ss_holders)):
        same, line = diff(name, ours, theirs)
        ok &= same
        print(line)
    for state in sorted(set(states) | set(ss_states)):
        d = states[state] - ss_states[state]
        same = d == 0
        ok &= same
        print(f"  {'connections ' + state:<24} {'OK      ' if same else 'MISMATCH'}  ours {states[state]}, ss {ss_states[state]}"
              + ("" if same else f" (difference {d:+d})"))
    if not ss_states:
        ok = False
        print("  connections            MISMATCH  ss shows no connection of the load (nothing to compare)")
    print(f"  unattributed (pid=\"\")    {unheld} of the load's connection sockets")
    print(f"exactness: {'OK' if ok else 'MISMATCH'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
