#!/usr/bin/env python3
"""The benchmark of bench/run.sh: for each modem count N, start the simulated
ModemManager with N fully populated modems on a private bus and mm-exporter on
a free loopback port, and measure render cost, scrape latency and throughput
(against nginx serving the same bytes), memory, D-Bus traffic caused by
scrapes and change-to-visible latency, each N as many times as --runs says.
Writes bench/results/bench.json, then bench/RESULTS.md (bench/figures.py)
and bench/results.png; --smoke measures N = 4 once, checks what it can and
writes nothing. Idle CPU is bench/idle.py's.
"""

import argparse
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import harness  # noqa: E402
from exporter import Exporter, wait_for  # noqa: E402
import bench_report  # noqa: E402
import figures  # noqa: E402
import result_files  # noqa: E402

BUILD = Path(os.environ.get("MMX_BUILD_DIR", ROOT / "build"))


def sh(*args, **kwargs):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs).stdout


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def memory_kib(pid):
    """RSS, PSS and private anonymous memory of one process, from smaps_rollup.
    PSS shares each library page among the processes that map it, so it moves
    with whatever else runs; Anonymous is the process's own."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        parts = line.split()
        if parts and parts[0] in ("Rss:", "Pss:", "Anonymous:"):
            values[parts[0][:-1].lower()] = int(parts[1])
    return values


def gzip_scrape(url):
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request) as response:
        return gzip.decompress(response.read()).decode()


def settle_as_prometheus(sim, exporter, device_id):
    """A new generation seen through gzip scrapes only, as Prometheus scrapes:
    the text the harness's own plain scrapes had rendered is then gone."""
    sim.client.set_property(device_id, "modem", "SignalQuality", [42, True])
    needle = f'modemmanager_modem_signal_quality_percent{{device_id="{device_id}"}} 42\n'
    wait_for(lambda: needle in gzip_scrape(exporter.url("/metrics")), timeout=10,
             what="the change in a gzip scrape")
    time.sleep(1)


WRK_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)


def wrk(url, seconds, connections, headers=()):
    args = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    for h in headers:
        args += ["-H", h]
    out = sh(*args, url)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    lat = {p: float(v) * scale[u] for p, v, u in WRK_LATENCY.findall(out)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50_ms": lat.get("50"), "p99_ms": lat.get("99"),
            "errors": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else ""}


REFRESH_FLAG = "--refresh-interval=1h"

# The reference: nginx serving the page and its gzip copy as static files.
NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir};
  proxy_temp_path {dir};
  fastcgi_temp_path {dir};
  uwsgi_temp_path {dir};
  scgi_temp_path {dir};
  types {{ text/plain metrics; }}
  default_type text/plain;
  server {{
    listen 127.0.0.1:{port};
    root {dir};
    gzip_static on;
  }}
}}
"""


class Nginx:
    """nginx serving one file on a free loopback port, as the practical limit."""

    def __init__(self, body, gzipped=None):
        self.dir = Path(tempfile.mkdtemp(prefix="mmx-nginx-"))
        (self.dir / "metrics").write_bytes(body)
        if gzipped is not None:
            (self.dir / "metrics.gz").write_bytes(gzipped)
        self.port = harness.free_port()
        conf = self.dir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=self.dir, port=self.port))
        self.proc = harness.spawn(["nginx", "-c", str(conf)], stderr=subprocess.DEVNULL)
        wait_for(lambda: urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics").status == 200,
                 timeout=5, what="nginx")

    def url(self):
        return f"http://127.0.0.1:{self.port}/metrics"

    def stop(self):
        harness.stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


def change_latency(sim, exporter, device_id, changes):
    """Seconds from a property change in ModemManager to it showing in /metrics."""
    samples = []
    for k in range(changes):
        quality = 10 + (k % 80)
        if k % 80 == 0:
            quality = 95
        start = time.monotonic()
        sim.client.set_property(device_id, "modem", "SignalQuality", [quality, True])
        needle = f'modemmanager_modem_signal_quality_percent{{device_id="{device_id}"}} {quality}\n'
        while True:
            body = urllib.request.urlopen(exporter.url("/metrics")).read().decode()
            if needle in body:
                break
            if time.monotonic() - start > 5:
                raise AssertionError("change not visible within 5 s")
        samples.append(time.monotonic() - start)
    samples.sort()
    return {"median_ms": statistics.median(samples) * 1000,
            "p99_ms": samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1000}


def dbus_messages_during_scrapes(bus, exporter, scrapes):
    import dbus
    import dbus.bus
    import dbus.lowlevel
    monitor = harness.spawn(["dbus-monitor", "--address", bus.address, "--profile"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(0.5)
    conn = dbus.bus.BusConnection(bus.address)

    def marker():
        conn.send_message(dbus.lowlevel.SignalMessage("/mmx/bench", "mmx.Bench", "Marker"))
        conn.flush()

    marker()
    for _ in range(scrapes):
        urllib.request.urlopen(exporter.url("/metrics")).read()
    marker()
    time.sleep(0.3)
    monitor.terminate()
    out, _ = monitor.communicate(timeout=5)
    conn.close()
    lines = [l for l in out.splitlines() if l and not l.startswith("#")]
    marks = [i for i, l in enumerate(lines) if "mmx.Bench" in l]
    return len(lines[marks[0] + 1:marks[1]]) if len(marks) == 2 else None


def bench_one(n, seconds, changes, work):
    scenario = work / f"bench-{n}.json"
    scenario.write_text(sh(sys.executable, str(ROOT / "bench" / "gen_scenario.py"), str(n)))
    result = {"modems": n}
    result["render"] = json.loads(sh(str(BUILD / "bin" / "render-bench"), str(n), "200"))
    bus = harness.PrivateBus()
    sim = harness.start_mmsim(bus, str(scenario), timeout=60)
    # No resync round (every 30 s by default) may fall into a measurement:
    # its D-Bus calls would count as caused by scrapes. bench/idle.py
    # measures with the defaults.
    exporter = Exporter(bus.address, [REFRESH_FLAG])
    try:
        exporter.wait_healthy(timeout=20)
        exporter.wait_metrics(lambda m: m.has("modemmanager_modems") and
                              m.value("modemmanager_modems") == n, timeout=60, what=f"{n} modems")
        device_id = json.loads(scenario.read_text())["modems"][0]["device_id"]
        settle_as_prometheus(sim, exporter, device_id)
        collector = exporter.process.pid
        frontend = exporter.frontend_pid()
        result["memory_idle_kib"] = {"collector": memory_kib(collector),
                                     "frontend": memory_kib(frontend)}
        url = exporter.url("/metrics")
        plain = urllib.request.urlopen(url).read()
        req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
        gz = urllib.request.urlopen(req).read()
        result["body_bytes"] = len(plain)
        result["gzip_bytes"] = len(gz)
        result["wrk"] = {
            "keepalive": wrk(url, seconds, 4),
            "keepalive_gzip": wrk(url, seconds, 4, ["Accept-Encoding: gzip"]),
            "new_connection": wrk(url, seconds, 4, ["Connection: close"]),
        }
        result["memory_load_kib"] = {"collector": memory_kib(collector),
                                     "frontend": memory_kib(frontend)}
        nginx = Nginx(plain, gz)
        try:
            result["nginx"] = {
                "keepalive": wrk(nginx.url(), seconds, 4),
                "keepalive_gzip": wrk(nginx.url(), seconds, 4, ["Accept-Encoding: gzip"]),
            }
        finally:
            nginx.stop()
        result["dbus_messages_per_1000_scrapes"] = dbus_messages_during_scrapes(
            bus, exporter, 1000 if changes > 10 else 50)
        result["change_visible"] = change_latency(sim, exporter, device_id, changes)
    finally:
        exporter.stop()
        sim.stop()
        bus.stop()
    return result


def plot(results, path):
    data = path.with_suffix(".dat")
    with open(data, "w") as f:
        for r in results:
            runs = r["runs"]
            med = lambda get: statistics.median(get(x) for x in runs)  # noqa: E731
            f.write(f"{r['modems']} {med(lambda x: x['wrk']['keepalive']['p99_ms'])} "
                    f"{med(lambda x: x['wrk']['keepalive_gzip']['p99_ms'])} "
                    f"{med(lambda x: bench_report.pss_total(x, 'memory_load_kib')) / 1024}\n")
    script = f"""
set terminal png size 900,420
set output '{path}'
set multiplot layout 1,2
set logscale x 2
set xlabel 'modems'
set ylabel 'p99 scrape latency (ms)'
set key top left
plot '{data}' using 1:2 with linespoints title 'plain', '' using 1:3 with linespoints title 'gzip'
set ylabel 'PSS, collector + frontend (MiB)'
plot '{data}' using 1:4 with linespoints title 'PSS under load'
unset multiplot
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    data.unlink()


def smoke_checks(result):
    """What one short run can show: (check, passed, figure)."""
    w = result["wrk"]
    return [
        ("no D-Bus message caused by scrapes", result["dbus_messages_per_1000_scrapes"] == 0,
         result["dbus_messages_per_1000_scrapes"]),
        ("plain scrapes without errors", w["keepalive"]["errors"] == 0 and not w["keepalive"]["socket_errors"],
         w["keepalive"]),
        ("gzip scrapes without errors",
         w["keepalive_gzip"]["errors"] == 0 and not w["keepalive_gzip"]["socket_errors"], w["keepalive_gzip"]),
        ("a change visible within 5 s", result["change_visible"]["p99_ms"] < 5000, result["change_visible"]),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="N=4 once, a few seconds: proves the harness works (CI); writes nothing")
    parser.add_argument("--modems", type=int, nargs="*", default=[1, 16, 64, 256])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per modem count")
    parser.add_argument("--from-json", action="store_true",
                        help="rewrite RESULTS.md and the plot from bench/results/bench.json, measuring nothing")
    args = parser.parse_args()
    out = ROOT / "bench"
    if args.from_json:
        plot(result_files.read("bench")["results"], out / "results.png")
        figures.main_write()
        return 0
    if args.smoke:
        counts, seconds, changes, runs = [4], 1, 5, 1
    else:
        counts, seconds, changes, runs = args.modems, args.seconds, 100, args.runs
    work = Path(tempfile.mkdtemp(prefix="mmx-bench-"))
    results = []
    try:
        for n in counts:
            entry = {"modems": n, "runs": []}
            for k in range(runs):
                print(f"== {n} modems, run {k + 1} of {runs}", flush=True)
                entry["runs"].append(bench_one(n, seconds, changes, work))
                print(json.dumps(entry["runs"][-1]), flush=True)
            results.append(entry)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.smoke:
        checks = smoke_checks(results[0]["runs"][0])
        for what, ok, figure in checks:
            print(f"bench smoke: {'ok  ' if ok else 'FAIL'} {what}: {figure}")
        failed = [what for what, ok, _ in checks if not ok]
        print(f"bench smoke: {len(checks) - len(failed)} of {len(checks)} checks passed")
        return 1 if failed else 0
    command = "bench/run.py " + " ".join(sys.argv[1:])
    path = result_files.write("bench", {"seconds": seconds, "changes": changes, "nginx_conf": NGINX_CONF,
                                        "exporter_flags": REFRESH_FLAG,
                                        "results": results}, command.strip())
    plot(results, out / "results.png")
    figures.main_write()
    print(f"wrote {path}, {out / 'RESULTS.md'} and {out / 'results.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
