#!/usr/bin/env python3
"""Writes the documents' figure tables from the result files in
bench/results (see result_files.py), so that no measured number is typed by
hand, and checks that nothing else in them quotes one.

    bench/figures.py           rewrite every block from the result files
    bench/figures.py --check   exit 1 when a block differs from what the
                               result files say, or a measured figure is
                               quoted outside the blocks

A block is the text between
    <!-- figures:NAME begin (bench/figures.py writes this; do not edit) -->
    <!-- figures:NAME end -->
in the documents below; bench/RESULTS.md is written whole.
"""

import argparse
import re
import sys
from pathlib import Path

import result_files

ROOT = result_files.ROOT
DOCS = ["README.md", "docs/RELIABILITY.md", "docs/SECURITY.md", "docs/FLEET.md", "docs/QUICKSTART.md",
        "docs/TLS.md", "docs/METRICS.md", "bench/RESULTS.md"]
BEGIN = "<!-- figures:{} begin (bench/figures.py writes this; do not edit) -->"
END = "<!-- figures:{} end -->"
BLOCK = re.compile(r"<!-- figures:([\w-]+) begin \(bench/figures.py writes this; do not edit\) -->\n"
                   r"(.*?)<!-- figures:\1 end -->", re.S)
NOT_MEASURED = ("*Not yet measured at this commit: `scripts/measure.sh` measures these figures "
                "and writes them here.*\n")

# What a measured figure looks like in prose: rates, latencies, counts of
# executions, growth, before → after, daily volumes, a measurement's date.
# Bounds and settings (8 KiB, 10 s, 100 ms doubling to 5 s) are not matched.
QUOTED_FIGURE = re.compile(
    r"\d[\d,.]*\s*(req/s|requests/s|executions|execs/s)"
    r"|\b(p50|p99|median)\s+\d"
    r"|\d[\d,.]*\s*(KiB|MiB)?\s*→\s*\d[\d,.]*\s*(KiB|MiB|%)"
    r"|[+]\d[\d.]*\s*%"
    r"|\d[\d.]*\s*(MB|GB)\s+(a|per)\s+(day|month)"
    r"|\d[\d.]*\s*MB/day"
    r"|\b(measured|run|found)\b[^.|]*\b20\d\d-\d\d-\d\d", re.I)


def stamp_line(data):
    m = data["measured"]
    return (f"Measured at commit `{m['commit'][:12]}` on {m['date']}, {m['machine']['cores']} cores of "
            f"{m['machine']['cpu']}, by `{m['command']}`.\n")


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def kib_pair(pair):
    return f"{pair[0]:,} → {pair[1]:,} KiB"


# --- the blocks -------------------------------------------------------------

def block_hardening():
    data = result_files.read("hardening")
    if not data:
        return NOT_MEASURED
    rows = []
    for name, f in sorted(data["figures"].items()):
        rows.append([name, f["seconds"], f["scrapes"], f"{f['scrape_p50_ms']} / {f['scrape_max_ms']} ms",
                     kib_pair(f["frontend_hwm_kib"]), f"{f['frontend_fds'][0]} → {f['frontend_fds'][1]}",
                     kib_pair(f["collector_rss_kib"]), f["listen_overflows"]])
    return stamp_line(data) + "\n" + table(
        ["attack", "seconds", "parallel scrapes", "scrape p50 / slowest", "frontend VmHWM",
         "frontend descriptors", "collector RSS", "listen overflows"], rows)


FAULTS = [
    ("hotplugs", "modem hot-plugged 100 times",
     lambda f: f"{f['match_rules_before']} match rules before and after; RSS {f['rss_growth_kib']:+} KiB"),
    ("modemmanager_restart", "ModemManager restarts (200 ms down)",
     lambda f: f"series back {f['series_back_ms']} ms after it began"),
    ("system_bus_back", "the system bus goes away and comes back",
     lambda f: f"modems served {f['modems_served_after_ms']} ms after ModemManager was back"),
    ("split_collector_killed", "collector SIGKILLed (split mode)",
     lambda f: f"`/health` 503 after {f['health_503_after_ms']} ms"),
    ("frontend_killed", "frontend SIGKILLed (one-command mode)",
     lambda f: f"healthy {f['healthy_after_ms']} ms after the kill, {f['refused']} refused"),
    ("sigterm_under_load", "SIGTERM under load",
     lambda f: f"exit after {f['exit_after_ms']} ms; "
               f"{f['scrapes_completed_while_stopping']} scrapes completed"),
]


def block_faults():
    data = result_files.read("faults")
    if not data:
        return NOT_MEASURED
    rows = [[what, show(data["figures"][key])] for key, what, show in FAULTS if key in data["figures"]]
    return stamp_line(data) + "\n" + table(["fault", "measured"], rows)


def block_load():
    data = result_files.read("load")
    if not data:
        return NOT_MEASURED
    rows = [[kind, f["modems"], f["connections"], f["seconds"], f"{f['requests']:,}", f"{f['rps']:,.0f}",
             f"{f['p50']} / {f['p99']}", f["errors"]] for kind, f in sorted(data["figures"].items())]
    return stamp_line(data) + "\n" + table(
        ["scrapes", "modems", "connections", "seconds", "requests", "req/s", "latency p50 / p99", "errors"],
        rows)


def block_fuzzing():
    data = result_files.read("fuzzing")
    if not data:
        return NOT_MEASURED
    rows = [[f"`fuzz_{t}`", f["seconds"], f"{f['executions']:,}", f"{f['executions'] / f['seconds']:,.0f}",
             f"{f['peak_rss_mb']} MB", f["finding"] or "none"] for t, f in data["targets"].items()]
    return stamp_line(data) + "\n" + table(
        ["target", "seconds", "executions", "executions/s", "peak RSS (ASan)", "finding"], rows)


def block_soak():
    data = result_files.read("soak")
    if not data:
        return NOT_MEASURED
    s = data["soak"]
    text = stamp_line(data) + "\n" + table(
        ["length", "modems", "scrapes", "changes", "errors", "collector RSS", "frontend RSS"],
        [[f"{s['minutes']:g} min", s["modems"], f"{s['scrapes']:,}", f"{s['changes']:,}", s["errors"],
          f"{s['collector_rss_kib_first_quarter']:,.0f} → {s['collector_rss_kib_last_quarter']:,.0f} KiB "
          f"({s['collector_growth_percent']:+} %)",
          f"{s['frontend_rss_kib_first_quarter']:,.0f} → {s['frontend_rss_kib_last_quarter']:,.0f} KiB "
          f"({s['frontend_growth_percent']:+} %)"]])
    v = data.get("valgrind")
    if v:
        text += (f"\nUnder valgrind (`{v['command']}`), after {v['changes']} changes and {v['replugs']} "
                 f"replugs, the collector exited {v['exit_status']}: {v['definitely_lost_bytes']} bytes "
                 f"definitely lost, {v['indirectly_lost_bytes']} indirectly, {v['errors']} errors.\n")
    return text


def block_fleet():
    data = result_files.read("fleet")
    figures = data["figures"].get("bandwidth") if data else None
    if not figures:
        return NOT_MEASURED
    rows = [[r["label"], f"{r['bytes_per_day'] / 1e6:.2f}", f"{r['bytes_per_scrape']:.0f}",
             f"{r['bytes_per_sample']:.1f}", f"{r['wal_bytes_per_day'] / 1e6:.2f}"] for r in figures["rows"]]
    shipped = figures["rows"][0]
    return (stamp_line(data) + f"Each configuration ran {figures['seconds_per_variant']:g} s with the rhythm "
            f"divided by {figures['rhythm_divided_by']:g}; per day at one scrape every 30 s.\n\n"
            f"<!-- measured: {shipped['bytes_per_day']:.0f} bytes/day (the shipped configuration) -->\n\n"
            + table(["configuration", "MB/day", "bytes/scrape", "bytes/sample", "WAL MB/day"], rows))


def block_fleet_wal():
    data = result_files.read("fleet")
    rows = data["figures"].get("wal") if data else None
    if not rows:
        return NOT_MEASURED
    return stamp_line(data) + "\n" + table(
        ["case", "WAL truncated every", "outage", "scrapes lost"],
        [[r["kind"], r["truncate_every"], f"{r['outage_s']} s", f"{r['lost_s']} s"] for r in rows])


BLOCKS = {"hardening": block_hardening, "faults": block_faults, "load": block_load,
          "fuzzing": block_fuzzing, "soak": block_soak, "fleet": block_fleet, "fleet-wal": block_fleet_wal}


def results_md():
    """bench/RESULTS.md, whole."""
    import bench_report
    return bench_report.render(result_files.read("bench"), result_files.read("idle"))


# --- writing and checking ---------------------------------------------------

def rendered(path, text):
    """The document as bench/figures.py writes it."""
    if path == ROOT / "bench" / "RESULTS.md":
        return results_md()

    def fill(m):
        if m.group(1) not in BLOCKS:
            raise SystemExit(f"{path}: unknown figures block {m.group(1)!r}")
        return BEGIN.format(m.group(1)) + "\n" + BLOCKS[m.group(1)]() + END.format(m.group(1))
    return BLOCK.sub(fill, text)


def quoted_figures(path, text):
    """Lines outside the blocks that quote what looks like a measured figure."""
    if path == ROOT / "bench" / "RESULTS.md":
        return []
    outside = BLOCK.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    return [f"{name}:{n}: {line.strip()[:120]}"
            for n, line in enumerate(outside.splitlines(), 1) if QUOTED_FIGURE.search(line)]


def update(check=False):
    """Rewrites every document from the result files (or, with check, only
    compares); the problems found, one line each."""
    problems = []
    for name in DOCS:
        path = ROOT / name
        text = path.read_text() if path.exists() else ""
        want = rendered(path, text)
        problems += quoted_figures(path, text)
        if want != text:
            if check:
                problems.append(f"{name}: figures differ from bench/results (run bench/figures.py)")
            else:
                path.write_text(want)
                print(f"wrote {name}")
    return problems


def main_write():
    for p in update():
        print(p)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    problems = update(parser.parse_args().check)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s): a measured figure belongs in a block written from "
              "bench/results (scripts/measure.sh)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
