#!/usr/bin/env python3
"""The benchmark of bench/run.sh: for each modem count N, start the simulated
ModemManager with N fully populated modems on a private bus and mm-exporter on
a free loopback port, and measure render cost, scrape latency and throughput
(against nginx serving the same bytes), memory, D-Bus traffic caused by
scrapes, change-to-visible latency and idle CPU. Writes bench/RESULTS.md and
bench/results.png (unless --smoke).
"""

import argparse
import datetime
import gzip
import json
import os
import platform
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


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


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


class Nginx:
    """nginx serving one file on a free loopback port, as the practical limit."""

    def __init__(self, body, gzipped=None):
        self.dir = Path(tempfile.mkdtemp(prefix="mmx-nginx-"))
        (self.dir / "metrics").write_bytes(body)
        if gzipped is not None:
            (self.dir / "metrics.gz").write_bytes(gzipped)
        self.port = harness.free_port()
        conf = self.dir / "nginx.conf"
        conf.write_text(f"""
worker_processes 1;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {self.dir};
  proxy_temp_path {self.dir};
  fastcgi_temp_path {self.dir};
  uwsgi_temp_path {self.dir};
  scgi_temp_path {self.dir};
  types {{ text/plain metrics; }}
  default_type text/plain;
  server {{
    listen 127.0.0.1:{self.port};
    root {self.dir};
    gzip_static on;
  }}
}}
""")
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


def bench_one(n, seconds, changes, idle_seconds, work):
    scenario = work / f"bench-{n}.json"
    scenario.write_text(sh(sys.executable, str(ROOT / "bench" / "gen_scenario.py"), str(n)))
    result = {"modems": n}
    result["render"] = json.loads(sh(str(BUILD / "bin" / "render-bench"), str(n), "200"))
    bus = harness.PrivateBus()
    sim = harness.start_mmsim(bus, str(scenario), timeout=60)
    exporter = Exporter(bus.address, ["--refresh-interval=1h"])
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
        # Idle: the default signal rate, no scrapes, nothing changing.
        before = cpu_seconds(collector) + cpu_seconds(frontend)
        time.sleep(idle_seconds)
        used = cpu_seconds(collector) + cpu_seconds(frontend) - before
        result["idle_cpu_percent"] = 100 * used / idle_seconds
    finally:
        exporter.stop()
        sim.stop()
        bus.stop()
    return result


def machine():
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    return {"cpu": model, "cores": os.cpu_count(), "kernel": platform.release(),
            "date": datetime.date.today().isoformat(), "commit": commit}


def pss_total(r, key, kind="pss"):
    return r[key]["collector"][kind] + r[key]["frontend"][kind]


def write_results(results, info, path):
    rows = []
    for r in results:
        w, g, c = r["wrk"]["keepalive"], r["wrk"]["keepalive_gzip"], r["wrk"]["new_connection"]
        ng = r["nginx"]["keepalive"]
        rows.append(
            f"| {r['modems']} | {r['render']['render_us_median']:.0f} µs | "
            f"{r['render']['gzip_us_median']:.0f} µs | "
            f"{r['body_bytes'] / 1024:.0f} KiB / {r['gzip_bytes'] / 1024:.1f} KiB | "
            f"{w['p50_ms']:.2f} / {w['p99_ms']:.2f} ms | {w['rps']:.0f} | "
            f"{g['p50_ms']:.2f} / {g['p99_ms']:.2f} ms | {g['rps']:.0f} | "
            f"{c['rps']:.0f} | {ng['rps']:.0f} ({100 * w['rps'] / ng['rps']:.0f} %) | "
            f"{r['nginx']['keepalive_gzip']['rps']:.0f} ({100 * g['rps'] / r['nginx']['keepalive_gzip']['rps']:.0f} %) | "
            f"{pss_total(r, 'memory_idle_kib') / 1024:.1f} / {pss_total(r, 'memory_load_kib') / 1024:.1f} MiB | "
            f"{pss_total(r, 'memory_idle_kib', 'anonymous') / 1024:.1f} / "
            f"{pss_total(r, 'memory_load_kib', 'anonymous') / 1024:.1f} MiB | "
            f"{r['dbus_messages_per_1000_scrapes']} | "
            f"{r['change_visible']['median_ms']:.0f} / {r['change_visible']['p99_ms']:.0f} ms | "
            f"{r['idle_cpu_percent']:.3f} % |")
    text = f"""# Benchmark results

Produced by `bench/run.sh` on {info['date']}, commit `{info['commit']}`, on
{info['cores']} cores of {info['cpu']} (Linux {info['kernel']}). Every figure
below was measured in that run; `results.json` holds all of them and
`results.png` plots latency and memory against the number of modems.

Columns: render = time to turn one snapshot into the text exposition, and
gzip = time to compress it: the frontend does both once per change, never per
scrape, so they are what a scrape would cost on top of the figures below
without the cache (the before/after of the design); body = plain / gzip size; plain and gzip = `wrk`
with 4 keep-alive connections for {results[0]['seconds']} s, without and with
`Accept-Encoding: gzip` (what Prometheus sends); new conn = `Connection:
close` on every request; nginx = nginx serving the same bytes as a static file
in the same run, and our share of its req/s; PSS = collector + frontend,
idle (after a change seen through gzip scrapes only, as Prometheus scrapes) /
after the load; private = the same for their anonymous memory, which unlike
PSS does not move with what else runs on the machine; D-Bus = messages on the bus during 1000 scrapes;
change = a ModemManager property change until /metrics shows it, median / p99
over {results[0]['changes']} changes; idle CPU = both processes, no scrapes,
`--signal-rate 5s`, over {results[0]['idle_seconds']} s.

| modems | render | gzip | body | plain p50 / p99 | plain req/s | gzip p50 / p99 | gzip req/s | new conn req/s | nginx plain req/s | nginx gzip req/s | PSS | private | D-Bus | change | idle CPU |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
""" + "\n".join(rows) + "\n"
    text += "\n" + targets(results) + "\n"
    # The before/after figures of changes, written by hand, follow the run.
    history = path.parent / "BEFORE-AFTER.md"
    if history.exists():
        text += "\n" + history.read_text()
    path.write_text(text)


def targets(results):
    """DESIGN.md's targets, met or not, from this run's figures."""
    by_n = {r["modems"]: r for r in results}
    lines = ["## Targets", "", "| target | figure | met |", "|---|---|---|"]

    def row(what, figure, ok):
        lines.append(f"| {what} | {figure} | {'yes' if ok else 'no'} |")

    if 64 in by_n:
        r = by_n[64]
        g, p = r["wrk"]["keepalive_gzip"], r["wrk"]["keepalive"]
        row("64 modems: p99 < 1 ms (gzip, as Prometheus asks)", f"{g['p99_ms']:.2f} ms", g["p99_ms"] < 1)
        row("64 modems: p99 < 1 ms (plain)", f"{p['p99_ms']:.2f} ms", p["p99_ms"] < 1)
        for kind in ("keepalive", "keepalive_gzip"):
            share = r["wrk"][kind]["rps"] / r["nginx"][kind]["rps"]
            row(f"64 modems: req/s ≥ 50 % of nginx ({'gzip' if 'gzip' in kind else 'plain'})",
                f"{100 * share:.0f} %", share >= 0.5)
    row("0 D-Bus messages caused by scrapes",
        ", ".join(str(r["dbus_messages_per_1000_scrapes"]) for r in results),
        all(r["dbus_messages_per_1000_scrapes"] == 0 for r in results))
    for n in (16, 64):
        if n in by_n:
            med = by_n[n]["change_visible"]["median_ms"]
            row(f"{n} modems: change visible < 200 ms median", f"{med:.0f} ms", med < 200)
    if 16 in by_n:
        pss = pss_total(by_n[16], "memory_idle_kib") / 1024
        row("16 modems: PSS ≤ 8 MiB (idle)", f"{pss:.1f} MiB", pss <= 8)
        cpu = by_n[16]["idle_cpu_percent"]
        row("16 modems: idle CPU < 0.1 % of a core", f"{cpu:.3f} %", cpu < 0.1)
    if 16 in by_n and 64 in by_n:
        for kind, name in (("pss", "PSS"), ("anonymous", "private")):
            per = (pss_total(by_n[64], "memory_idle_kib", kind) -
                   pss_total(by_n[16], "memory_idle_kib", kind)) / 48
            row(f"≤ 32 KiB more per modem (16 → 64, idle {name})", f"{per:.0f} KiB", per <= 32)
    return "\n".join(lines)


def plot(results, path):
    data = path.with_suffix(".dat")
    with open(data, "w") as f:
        for r in results:
            f.write(f"{r['modems']} {r['wrk']['keepalive']['p99_ms']} {r['wrk']['keepalive_gzip']['p99_ms']} "
                    f"{pss_total(r, 'memory_load_kib') / 1024}\n")
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="N=4, a few seconds: proves the harness works (CI)")
    parser.add_argument("--modems", type=int, nargs="*", default=[1, 16, 64, 256])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per run")
    parser.add_argument("--from-json", action="store_true",
                        help="rewrite RESULTS.md and the plot from results.json, measuring nothing")
    args = parser.parse_args()
    if args.from_json:
        saved = json.loads((ROOT / "bench" / "results.json").read_text())
        write_results(saved["results"], saved["machine"], ROOT / "bench" / "RESULTS.md")
        plot(saved["results"], ROOT / "bench" / "results.png")
        return
    if args.smoke:
        counts, seconds, changes, idle = [4], 1, 5, 2
    else:
        counts, seconds, changes, idle = args.modems, args.seconds, 100, 60
    work = Path(tempfile.mkdtemp(prefix="mmx-bench-"))
    results = []
    try:
        for n in counts:
            print(f"== {n} modems", flush=True)
            r = bench_one(n, seconds, changes, idle, work)
            r.update(seconds=seconds, changes=changes, idle_seconds=idle)
            print(json.dumps(r), flush=True)
            results.append(r)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    info = machine()
    if args.smoke:
        for r in results:
            assert r["dbus_messages_per_1000_scrapes"] == 0, r
            assert r["wrk"]["keepalive"]["errors"] == 0, r
        print("bench smoke: 1 passed, 0 failed")
        return
    out = ROOT / "bench"
    (out / "results.json").write_text(json.dumps({"machine": info, "results": results}, indent=1))
    write_results(results, info, out / "RESULTS.md")
    plot(results, out / "results.png")
    print(f"wrote {out / 'RESULTS.md'} and {out / 'results.png'}")


if __name__ == "__main__":
    main()
