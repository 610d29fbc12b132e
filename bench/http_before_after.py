#!/usr/bin/env python3
"""The HTTP serving path of two builds side by side: for N modems, each
build's exporter on a private bus with the simulated ModemManager, wrk
against /metrics plain and gzip (keep-alive, 4 connections, as bench/run.py),
nginx serving the same bytes from files, the frontend's CPU per request and
the PSS of collector + frontend. Writes a JSON result and a Markdown table,
both stamped with the two commits and the date.

    bench/http_before_after.py --before BUILD_DIR --after BUILD_DIR \\
        --json bench/results/http-before-after.json --markdown bench/HTTP-BEFORE-AFTER.md

bench/http-before-after.sh builds the two revisions and runs this.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# One build's measurement, in a process of its own: the harness reads
# MMX_BUILD_DIR when it is imported.
MEASURE = r"""
import json, sys, urllib.request
from pathlib import Path
sys.path.insert(0, sys.argv[1] + "/bench")
import run
n, seconds, work = int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
scenario = work / f"bench-{n}.json"
scenario.write_text(run.sh(sys.executable, sys.argv[1] + "/bench/gen_scenario.py", str(n)))
bus = run.harness.PrivateBus()
sim = run.harness.start_mmsim(bus, str(scenario), timeout=120)
exporter = run.Exporter(bus.address, ["--refresh-interval=1h"])
out = {"modems": n}
try:
    exporter.wait_healthy(timeout=30)
    exporter.wait_metrics(lambda m: m.has("modemmanager_modems") and
                          m.value("modemmanager_modems") == n, timeout=120, what=f"{n} modems")
    device_id = json.loads(scenario.read_text())["modems"][0]["device_id"]
    run.settle_as_prometheus(sim, exporter, device_id)
    collector, frontend = exporter.process.pid, exporter.frontend_pid()
    out["pss_idle_kib"] = run.memory_kib(collector)["pss"] + run.memory_kib(frontend)["pss"]
    url = exporter.url("/metrics")
    plain = urllib.request.urlopen(url).read()
    gz = urllib.request.urlopen(urllib.request.Request(
        url, headers={"Accept-Encoding": "gzip"})).read()
    out["body_bytes"], out["gzip_bytes"] = len(plain), len(gz)
    for kind, headers in (("plain", []), ("gzip", ["Accept-Encoding: gzip"])):
        before = run.cpu_seconds(frontend)
        r = run.wrk(url, seconds, 4, headers)
        used = run.cpu_seconds(frontend) - before
        r["frontend_cpu_us_per_request"] = 1e6 * used / max(1.0, r["rps"] * seconds)
        out[kind] = r
    out["pss_load_kib"] = run.memory_kib(collector)["pss"] + run.memory_kib(frontend)["pss"]
    nginx = run.Nginx(plain, gz)
    try:
        out["nginx_plain"] = run.wrk(nginx.url(), seconds, 4)
        out["nginx_gzip"] = run.wrk(nginx.url(), seconds, 4, ["Accept-Encoding: gzip"])
    finally:
        nginx.stop()
finally:
    exporter.stop()
    sim.stop()
    bus.stop()
print("RESULT " + json.dumps(out), flush=True)
"""


def revision(build):
    cache = Path(build) / "CMakeCache.txt"
    source = next((line.split("=", 1)[1] for line in cache.read_text().splitlines()
                   if line.startswith("CMAKE_HOME_DIRECTORY:")), str(ROOT))
    return subprocess.run(["git", "-C", source, "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()


def measure(build, n, seconds):
    with tempfile.TemporaryDirectory(prefix="mmx-http-ba-") as work:
        env = dict(os.environ, MMX_BUILD_DIR=str(Path(build).resolve()))
        proc = subprocess.run([sys.executable, "-c", MEASURE, str(ROOT), str(n), str(seconds), work],
                              env=env, capture_output=True, text=True, timeout=900)
        lines = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
        if proc.returncode != 0 or not lines:
            raise SystemExit(f"measuring {build} at {n} modems failed:\n{proc.stderr[-3000:]}")
        return json.loads(lines[-1][len("RESULT "):])


def pct(a, b):
    return f"{100 * a / b:.0f} %" if b else "-"


def markdown(data):
    m = data["machine"]
    rows = [
        f"Measured {data['date']} on {m['cpus']} CPUs ({m['cpu']}), load average "
        f"{m['load_before']} before the run; before = `{data['before']}`, after = "
        f"`{data['after']}`; wrk 4 connections, keep-alive, {data['seconds']} s a run; nginx "
        "1 worker serving the same bytes as files (`gzip_static`). Written by "
        "`bench/http-before-after.sh`; a shared, loaded machine makes these "
        "figures noisy.",
        "",
        "| modems | build | plain req/s (% of nginx) | plain p99 ms (nginx) | gzip req/s (% of nginx) "
        "| gzip p99 ms (nginx) | frontend CPU µs/req plain / gzip | PSS idle / under load MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for before, after in zip(data["results"]["before"], data["results"]["after"]):
        for name, r in (("before", before), ("after", after)):
            rows.append(
                f"| {r['modems']} | {name} `{data[name]}` "
                f"| {r['plain']['rps']:,.0f} ({pct(r['plain']['rps'], r['nginx_plain']['rps'])}) "
                f"| {r['plain']['p99_ms']:.2f} ({r['nginx_plain']['p99_ms']:.2f}) "
                f"| {r['gzip']['rps']:,.0f} ({pct(r['gzip']['rps'], r['nginx_gzip']['rps'])}) "
                f"| {r['gzip']['p99_ms']:.2f} ({r['nginx_gzip']['p99_ms']:.2f}) "
                f"| {r['plain']['frontend_cpu_us_per_request']:.0f} / "
                f"{r['gzip']['frontend_cpu_us_per_request']:.0f} "
                f"| {r['pss_idle_kib'] / 1024:.1f} / {r['pss_load_kib'] / 1024:.1f} |")
    return "\n".join(rows) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="build directory of the earlier revision")
    parser.add_argument("--after", required=True, help="build directory of the later revision")
    parser.add_argument("--modems", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--json", required=True)
    parser.add_argument("--markdown", required=True)
    args = parser.parse_args()
    data = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "before": revision(args.before), "after": revision(args.after), "seconds": args.seconds,
        "machine": {"cpus": os.cpu_count(), "cpu": platform.processor() or platform.machine(),
                    "load_before": " ".join(f"{x:.1f}" for x in os.getloadavg())},
        "results": {"before": [], "after": []},
    }
    for n in args.modems:
        for name in ("before", "after"):
            print(f"== {name} ({getattr(args, name)}), {n} modems", flush=True)
            r = measure(getattr(args, name), n, args.seconds)
            print(json.dumps(r), flush=True)
            data["results"][name].append(r)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(data, indent=1) + "\n")
    Path(args.markdown).write_text(
        "# The HTTP serving path, before and after\n\n" + markdown(data))
    print(f"wrote {args.json} and {args.markdown}")


if __name__ == "__main__":
    main()
