"""bench/run.sh's report.

    report.py RUN_DIR EXPORTER NO_EXPORTER NODE_EXPORTER NODE_NOTE   one size: RUN_DIR/result.json and a table
    report.py --combine OUT RUN_DIR...                               every size into OUT, and one line per size

RUN_DIR holds what run.sh measured for one load size: meta (key=value lines), load.json (loadgen's READY line),
*.times (one duration in seconds a line) and exactness.txt.
"""
import datetime
import json
import math
import os
import platform
import statistics
import sys


def samples(run_dir, name):
    try:
        with open(os.path.join(run_dir, name)) as f:
            return [float(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def med(xs):
    return round(statistics.median(xs), 6) if xs else None


def p90(xs):  # nearest rank
    return round(sorted(xs)[math.ceil(0.9 * len(xs)) - 1], 6) if xs else None


def ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


def read_meta(run_dir):
    meta = {}
    with open(os.path.join(run_dir, "meta")) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("=")
            if value != "":
                meta[key] = value
    return meta


def num(meta, key, conv=int):
    return conv(meta[key]) if key in meta else None


def one(run_dir, exporter, no_exporter, node_exporter, node_note):
    meta = read_meta(run_dir)
    scr, node, ss, ssnop, lsof = (samples(run_dir, n) for n in
                                  ("scrape.times", "node.times", "ss.times", "ssnop.times", "lsof.times"))
    load = json.load(open(os.path.join(run_dir, "load.json")))
    exactness_lines = []
    if os.path.exists(os.path.join(run_dir, "exactness.txt")):
        exactness_lines = open(os.path.join(run_dir, "exactness.txt")).read().splitlines()
    res = {
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": {"kernel": platform.release(), "cpus": os.cpu_count(), "loadavg": os.getloadavg()},
        "connections": num(meta, "connections"),
        "exporter": None if no_exporter == "1" else exporter,
        "node_exporter": node_exporter or None,
        "scrapes": len(scr),
        "scrape_median_s": med(scr),
        "scrape_p90_s": p90(scr),
        "scrape_min_s": round(min(scr), 6) if scr else None,
        "scrape_max_s": round(max(scr), 6) if scr else None,
        "node_exporter_scrape_median_s": med(node),
        "node_exporter_scrape_p90_s": p90(node),
        "ss_tuanp_runs": len(ss),
        "ss_tuanp_median_s": med(ss),
        "ss_tuan_no_p_median_s": med(ssnop),
        "lsof_runs": len(lsof),
        "lsof_nP_i_median_s": med(lsof),
        "ratio_scrape_to_ss": ratio(med(scr), med(ss)),
        "ratio_scrape_to_node_exporter": ratio(med(scr), med(node)),
        "ratio_scrape_to_lsof": ratio(med(scr), med(lsof)),
        "series": num(meta, "series"),
        "response_bytes": num(meta, "bytes"),
        "exporter_cpu_s_per_scrape": num(meta, "cpu_s", float),
        "exporter_rss_kib": num(meta, "rss_kib"),
        "exporter_peak_rss_kib": num(meta, "hwm_kib"),
        "exporter_rss_between_scrapes_kib": num(meta, "rss_idle_kib"),
        "exporter_startup_s": num(meta, "startup_s", float),
        "node_exporter_series": num(meta, "node_series"),
        "node_exporter_response_bytes": num(meta, "node_bytes"),
        "node_exporter_cpu_s_per_scrape": num(meta, "node_cpu_s", float),
        "node_exporter_rss_kib": num(meta, "node_rss_kib"),
        "node_exporter_peak_rss_kib": num(meta, "node_hwm_kib"),
        "node_exporter_startup_s": num(meta, "node_startup_s", float),
        "exactness": meta.get("exactness"),
        "exactness_detail": exactness_lines,
        "ss_tuan_lines": num(meta, "ss_lines"),
        "loadgen_alive_at_end": meta.get("loadgen_alive") == "1",
        "load": load,
        "samples": {"scrape_s": scr, "node_exporter_scrape_s": node, "ss_tuanp_s": ss, "ss_tuan_s": ssnop, "lsof_s": lsof},
    }
    with open(os.path.join(run_dir, "result.json"), "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")

    def fmt(v, unit=""):
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:.4f}{unit}"
        return f"{v}{unit}"

    def mib(kib):
        return "-" if kib is None else f"{kib / 1024:.1f} MiB"

    def both(ours, theirs):
        return f"{ours:<14}  {theirs}"

    p, l, c, u = load["processes"], load["listeners"], load["connections"], load["udp"]
    node_col = "-" if node_exporter else (node_note or "-")
    rows = [
        ("", both("SocketExporter", "node_exporter (tcpstat+sockstat)")),
        ("scrape median", both(fmt(res["scrape_median_s"], " s"), fmt(res["node_exporter_scrape_median_s"], " s") if node_exporter else node_col)),
        ("scrape p90", both(fmt(res["scrape_p90_s"], " s"), fmt(res["node_exporter_scrape_p90_s"], " s"))),
        ("CPU per scrape", both(fmt(res["exporter_cpu_s_per_scrape"], " s"), fmt(res["node_exporter_cpu_s_per_scrape"], " s"))),
        ("VmRSS after the scrapes", both(mib(res["exporter_rss_kib"]), mib(res["node_exporter_rss_kib"]))),
        ("VmHWM (peak RSS)", both(mib(res["exporter_peak_rss_kib"]), mib(res["node_exporter_peak_rss_kib"]))),
        ("VmRSS 6 s later", both(mib(res["exporter_rss_between_scrapes_kib"]), "")),
        ("series in one scrape", both(fmt(res["series"]), fmt(res["node_exporter_series"]))),
        ("response bytes", both(fmt(res["response_bytes"]), fmt(res["node_exporter_response_bytes"]))),
        ("start to first answer", both(fmt(res["exporter_startup_s"], " s"), fmt(res["node_exporter_startup_s"], " s"))),
        (f"ss -tuanp median ({len(ss)} runs)", fmt(res["ss_tuanp_median_s"], " s")),
        ("  (ss -tuan, no -p, median)", fmt(res["ss_tuan_no_p_median_s"], " s")),
        (f"lsof -nP -i median ({len(lsof)} runs)", fmt(res["lsof_nP_i_median_s"], " s")),
        ("ratio scrape / ss -tuanp", fmt(res["ratio_scrape_to_ss"])),
        ("ratio scrape / node_exporter", fmt(res["ratio_scrape_to_node_exporter"])),
        ("ratio scrape / lsof -nP -i", fmt(res["ratio_scrape_to_lsof"])),
        ("exactness against ss", fmt(res["exactness"])),
        ("load: processes", f"{p['total']} ({p['server']} server incl. {p['prefork_groups']}x(1+{p['prefork_workers'] // max(p['prefork_groups'], 1)}) prefork, {p['client']} client)"),
        ("load: TCP listeners", f"{l['sockets']} sockets / {l['endpoints']} endpoints ({l['ipv4']} v4, {l['ipv6']} v6; {l['reuseport_pairs']} reuseport pairs)"),
        ("load: ESTABLISHED conns", f"{c['established']} ({c['socket_ends']} socket ends; kernel sees {load['kernel_tcp_established_loopback']})"),
        ("load: UDP sockets", f"{u['bound']} bound + {u['connected']} connected"),
        ("load: build time", fmt(load["build_seconds"], " s")),
        ("host load average (1/5/15 min)", " ".join(f"{x:.1f}" for x in res["host"]["loadavg"])),
    ]
    w = max(len(k) for k, _ in rows)
    print()
    print(f"SocketExporter bench, {c['established']} connections ({res['scrapes']} scrapes) -- {res['exporter'] or 'no exporter'}")
    print("-" * (w + 52))
    for k, v in rows:
        print(f"{k:<{w}}  {v}")
    if exactness_lines:
        print("exactness detail:")
        for line in exactness_lines:
            print(line)
    print("-" * (w + 52))


def combine(out, run_dirs):
    runs = [json.load(open(os.path.join(d, "result.json"))) for d in run_dirs]
    with open(out, "w") as f:
        json.dump({"runs": runs}, f, indent=2)
        f.write("\n")
    print()
    print("summary (medians of the same run; ratios are SocketExporter's scrape to the other)")
    for r in runs:
        def ms(v):
            return "-" if v is None else f"{v * 1000:.0f} ms"

        def x(v):
            return "-" if v is None else f"{v:.3f}"

        hwm, node_hwm = r["exporter_peak_rss_kib"], r["node_exporter_peak_rss_kib"]
        print(f"  {r['connections']:>6} connections: scrape {ms(r['scrape_median_s'])}, ss -tuanp {ms(r['ss_tuanp_median_s'])} "
              f"(x{x(r['ratio_scrape_to_ss'])}), node_exporter {ms(r['node_exporter_scrape_median_s'])} "
              f"(x{x(r['ratio_scrape_to_node_exporter'])}), lsof {ms(r['lsof_nP_i_median_s'])}; "
              f"CPU/scrape {ms(r['exporter_cpu_s_per_scrape'])} vs {ms(r['node_exporter_cpu_s_per_scrape'])}; "
              f"VmHWM {'-' if hwm is None else f'{hwm / 1024:.1f}'} vs {'-' if node_hwm is None else f'{node_hwm / 1024:.1f}'} MiB; "
              f"series {r['series']}; exactness {r['exactness'] or '-'}")
    print(f"JSON: {out}")


if __name__ == "__main__":
    if sys.argv[1] == "--combine":
        combine(sys.argv[2], sys.argv[3:])
    else:
        one(*sys.argv[1:6])
