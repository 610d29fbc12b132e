#!/usr/bin/env python3
"""Measures the fleet's data volume and WAL outages for docs/FLEET.md.

On the set-up of tests/e2e/test_fleet.py (tests/e2e/fleet_harness.py), on
loopback:

- bandwidth: one gateway with one modem, each configuration of the
  data-volume table for SECONDS seconds: bytes on the wire per scrape and
  per day at one scrape every 30 s, and the WAL's growth. As root it also
  counts IP bytes through a veth pair with a 1500-byte MTU (a network
  namespace). --scale 1 measures at the shipped 30 s rhythm instead of
  dividing every interval by 30.
- wal: the outages of the WAL table, by their length in WAL truncation
  periods, and an agent restart during an outage (about 7 minutes).

Checks that the figures make sense (each shipped choice costs fewer bytes
than the setting it replaces; short outages lose nothing, long ones most)
and only then writes bench/results/fleet.json (MMX_RESULTS_DIR elsewhere).

    /usr/bin/python3 bench/fleet_measure.py [--seconds 60] [--scale 30]
        [--only TEXT] [--skip TEXT] [--part bandwidth|wal]

Every process it starts is stopped at the end; traffic only to loopback
and the veth pair.
"""

import argparse
import contextlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import result_files  # noqa: E402
from exporter import wait_for  # noqa: E402
from fleet_harness import (SCALE, SCRAPE_INTERVAL, Central, CountingProxy, Gateway, make_certificates,  # noqa: E402
                           measure, raw_samples, scenarios)

# A range for benchmarks (RFC 2544), for the veth pair of the IP row.
VETH_NET = ("198.18.249.1", "198.18.249.2")


class FigureError(Exception):
    """A figure that contradicts what docs/FLEET.md argues from it, or a run
    that measured nothing: no result file is written."""


def check(condition, message):
    if not condition:
        raise FigureError(message)


class Veth:
    """A network namespace reached through a veth pair with a 1500-byte MTU
    and no segmentation offload, so that its counters see the IP packets a
    cellular link would carry (root only)."""

    def __init__(self):
        tag = f"{os.getpid() % 100000}"
        self.ns, self.outer, self.inner = f"mmxfleet{tag}", f"mmxf{tag}a", f"mmxf{tag}b"
        routes = subprocess.run(["ip", "route"], capture_output=True, text=True).stdout
        if "198.18." in routes:
            raise RuntimeError("198.18.0.0/15 is routed here already")
        commands = [
            ["ip", "netns", "add", self.ns],
            ["ip", "link", "add", self.outer, "type", "veth", "peer", "name", self.inner],
            ["ip", "link", "set", self.inner, "netns", self.ns],
            ["ip", "addr", "add", f"{VETH_NET[0]}/30", "dev", self.outer],
            ["ip", "link", "set", self.outer, "mtu", "1500", "gso_max_segs", "1", "up"],
            ["ip", "-n", self.ns, "addr", "add", f"{VETH_NET[1]}/30", "dev", self.inner],
            ["ip", "-n", self.ns, "link", "set", self.inner, "mtu", "1500", "gso_max_segs", "1", "up"],
            ["ip", "-n", self.ns, "link", "set", "lo", "up"],
        ]
        try:
            for command in commands:
                subprocess.run(command, check=True, capture_output=True)
        except Exception:
            self.stop()
            raise
        self.address = VETH_NET[1]

    def counters(self):
        """(IP bytes, packets) through the pair, both directions, Ethernet
        headers (14 bytes a frame) taken off."""
        out = subprocess.run(["ip", "-s", "-j", "link", "show", self.outer], capture_output=True, text=True,
                             check=True).stdout
        stats = json.loads(out)[0]["stats64"]
        packets = stats["tx"]["packets"] + stats["rx"]["packets"]
        return stats["tx"]["bytes"] + stats["rx"]["bytes"] - 14 * packets, packets

    def stop(self):
        subprocess.run(["ip", "link", "del", self.outer], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)


def veth_quiet(veth, quiet=0.4):
    """(IP bytes, 0, packets) through the veth pair, read when they have not
    moved for `quiet` seconds."""
    last, since = veth.counters(), time.monotonic()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = veth.counters()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return now[0], 0, now[1]
    raise AssertionError("the veth never went quiet")


# =========================================================== bandwidth


def variants():
    """(name, how) of docs/FLEET.md's table. `how` keys: edits to agent.yml,
    idle_close (s, shipped rhythm), scheme, veth."""
    no_queue = lambda c: re.sub(r"(?ms)^    queue_config:\n.*?(?=^    metadata_config:)", "", c)  # noqa: E731
    no_metadata_setting = lambda c: re.sub(r"(?ms)^    metadata_config:\n.*", "", c)  # noqa: E731
    no_self = lambda c: re.sub(r"(?ms)^  # The agent's own health.*?(?=^remote_write:)", "", c)  # noqa: E731
    one_scrape = lambda c: c.replace("batch_send_deadline: 60s", "batch_send_deadline: 5s")  # noqa: E731
    metadata = lambda c: c.replace("      send: false\n", "      send: true\n      send_interval: 1m\n")  # noqa: E731
    return [
        ("shipped (TLS, 2 scrapes a request, no metadata)", {}),
        ("shipped, 1 scrape a request (batch_send_deadline 5s)", {"edits": [one_scrape]}),
        ("shipped, metadata every minute", {"edits": [metadata]}),
        ("shipped, new TCP+TLS connection for every request (NAT idle timeout)", {"idle_close": 45}),
        ("shipped, plain HTTP (no TLS)", {"scheme": "http"}),
        ("shipped without the agent's own metrics", {"edits": [no_self]}),
        ("Prometheus's queue defaults (1 scrape a request, metadata every minute)",
         {"edits": [no_queue, no_metadata_setting], "defaults": True}),
        ("shipped, IP packets at MTU 1500 (veth)", {"veth": True}),
    ]


def measure_variant(work, label, how, seconds, scale):
    """The figures of one configuration: a receiver and one gateway, started
    for it and stopped after."""
    with contextlib.ExitStack() as started:
        veth = None
        if how.get("veth"):
            check(os.geteuid() == 0, f"{label}: a veth pair needs root")
            veth = Veth()
            started.callback(veth.stop)
        host = veth.address if veth else "127.0.0.1"
        certs = make_certificates(work, [host])
        central = Central(work, certs, users=["gw-0001", "grafana"], host=host,
                          netns=veth.ns if veth else None, scale=scale, tls=how.get("scheme") != "http")
        started.callback(central.stop)
        central.wait_ready()
        edits = list(how.get("edits", []))
        if how.get("defaults"):
            # Prometheus's defaults (batches every 5 s, metadata every
            # minute), written out to be scaled like the rest.
            edits.append(lambda c: c + ("    queue_config:\n      batch_send_deadline: 5s\n"
                                        "    metadata_config:\n      send_interval: 1m\n"))
        if veth:
            counters = lambda: veth_quiet(veth)  # noqa: E731
            target = f"{host}:{central.port}"
        else:
            idle = how.get("idle_close")
            proxy = CountingProxy((host, central.port), idle_close=idle / scale if idle else None)
            started.callback(proxy.stop)
            counters = proxy.quiet_counters
            target = f"127.0.0.1:{proxy.port}"
        gateway = Gateway("gw-0001", scenarios(work)["gw-0001"], target, certs[0], work, scale=scale, edits=edits,
                          scheme=how.get("scheme", "https"))
        started.callback(gateway.stop)
        # The first scrape, then the first batch: up to 90 s at the shipped rhythm.
        wait_for(lambda: central.query('up{gateway="gw-0001"}'), timeout=30 + 150 / scale, what="first samples")
        return measure(gateway.agent, counters, central, "gw-0001", seconds, wal=gateway.dir / "data-agent" / "wal")


def measure_bandwidth(work, seconds, scale, only, skip):
    rows = []
    for label, how in variants():
        if only not in label or (skip and skip in label):
            continue
        directory = work / re.sub(r"\W+", "-", label)[:40]
        directory.mkdir(parents=True)
        rows.append((label, measure_variant(directory, label, how, seconds, scale)))
    print(f"\nmeasured {seconds:g} s per configuration, rhythm divided by {scale:g}; per day at one scrape every 30 s:")
    for label, figure in rows:
        print(f"  {label}: {figure['bytes_per_day'] / 1e6:.2f} MB/day = {figure['bytes_per_scrape']:.0f} bytes/scrape "
              f"({figure['samples_per_scrape']:.0f} samples, {figure['bytes_per_sample']:.2f} bytes/sample; "
              f"{figure['samples']:.0f} samples sent, {figure['up']}+{figure['down']} bytes, "
              f"{figure['connections']} connections or packets; WAL {figure['wal_bytes_per_day'] / 1e6:.2f} MB/day)")
    check(rows, f"no configuration matches --only {only!r}")
    for label, figure in rows:
        # (The veth counts IP bytes both ways as "up".)
        check(figure["samples"] > 0 and figure["up"] > 0, f"{label}: nothing measured: {figure}")
    # What docs/FLEET.md argues from these rows: each shipped choice costs
    # fewer bytes than the setting it replaces.
    by_label = {label: figure["bytes_per_day"] for label, figure in rows}
    shipped = by_label.pop(variants()[0][0], None)
    for label, cost in by_label.items():
        if shipped is not None and ("1 scrape" in label or "metadata every" in label or "new TCP" in label):
            check(cost > shipped, f"{label}: {cost:.0f} bytes/day, shipped {shipped:.0f}")
    return {"seconds_per_variant": seconds, "rhythm_divided_by": scale,
            "rows": [{"label": label, **figure} for label, figure in rows]}


# =========================================================== WAL


def lost_seconds(central, name, down, back):
    """Seconds of scrapes missing from the receiver between `down` - 3 s and
    `back` + 2 s (gaps longer than 1.5 scrape intervals, ends included)."""
    interval = SCRAPE_INTERVAL / SCALE
    (stamps,) = raw_samples(central, f'up{{gateway="{name}", job="modemmanager"}}', down - 3, back + 2).values()
    stamps = [down - 3, *stamps, back + 2]
    return sum(b - a - interval for a, b in zip(stamps, stamps[1:]) if b - a > 1.5 * interval)


def outage(work, kind, frequency, seconds):
    """(outage length, seconds of scrapes lost) of one case: the receiver
    stopped for `seconds`, the agent restarted 5 s into it for a "restart"."""
    small_queue = lambda c: c.replace("capacity: 10000", "capacity: 400").replace(  # noqa: E731
        "max_samples_per_send: 2000", "max_samples_per_send: 200")
    with contextlib.ExitStack() as started:
        certs = make_certificates(work, ["127.0.0.1"])
        central = Central(work, certs, users=["gw-0001", "grafana"])
        started.callback(central.stop)
        central.wait_ready()
        proxy = CountingProxy(("127.0.0.1", central.port))
        started.callback(proxy.stop)
        gateway = Gateway("gw-0001", scenarios(work)["gw-0001"], f"127.0.0.1:{proxy.port}", certs[0], work,
                          edits=[small_queue], agent_flags=[f"--storage.agent.wal-truncate-frequency={frequency}"])
        started.callback(gateway.stop)
        wait_for(lambda: central.query('up{gateway="gw-0001"}'), timeout=30, what="first samples")
        time.sleep(5)
        central.stop()
        down = time.time()
        if kind == "restart":
            time.sleep(5)
            gateway.agent.stop()  # tries to flush until killed (harness.stop)
            gateway.agent.start()
            gateway.agent.wait_ready()
            time.sleep(max(0, down + seconds - time.time()))
        else:
            time.sleep(seconds)
        central.start()
        central.wait_ready()
        back = time.time()
        wait_for(lambda: central.query(f'timestamp(up{{gateway="gw-0001"}}) > {back + 2}'), timeout=60,
                 interval=0.5, what="caught up")
        return back - down, lost_seconds(central, "gw-0001", down, back)


def measure_wal(work):
    """What an outage of the receiver costs, by its length in WAL truncation
    periods (shortened with the hidden --storage.agent.wal-truncate-frequency),
    and an agent restart during an outage. The queue capacity is cut to 400
    samples so that it holds the same share of a truncation period (2.5 s of
    10 s) as the shipped 10000 hold of 2 h (about 32 minutes)."""
    cases = [("restart", "2h", 25), *(("outage", f"{f}s", round(f * n)) for f, n in
                                       ((10, 2), (10, 3), (10, 4.5), (10, 6), (40, 2.5)))]
    results = []
    for number, (kind, frequency, seconds) in enumerate(cases):
        directory = work / f"case{number}"
        directory.mkdir(parents=True)
        results.append((kind, frequency, *outage(directory, kind, frequency, seconds)))
    print()
    for kind, frequency, length, lost in results:
        what = "agent restarted 5 s into" if kind == "restart" else f"truncation every {frequency},"
        print(f"{what} an outage of {length:.0f} s: {lost:.0f} s of scrapes lost")
    # docs/FLEET.md's table: up to 3 truncation periods nothing is lost, from
    # 4.5 on most of the outage is; a restart loses what was not yet sent.
    for kind, frequency, length, lost in results:
        periods = length / float(frequency.rstrip("sh")) / (3600 if frequency.endswith("h") else 1)
        if kind == "restart":
            check(lost >= 5, f"an agent restart in an outage lost only {lost:.0f} s")
        elif periods <= 3.2:
            check(lost < 2, f"{length:.0f} s outage, truncation every {frequency}: {lost:.0f} s lost")
        elif periods >= 4.4:
            check(lost > length / 2, f"{length:.0f} s outage, truncation every {frequency}: {lost:.0f} s lost")
    return [{"kind": k, "truncate_every": f, "outage_s": round(length), "lost_s": round(lost)}
            for k, f, length, lost in results]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="bandwidth: seconds per configuration")
    parser.add_argument("--scale", type=float, default=SCALE, help="bandwidth: every interval divided by this")
    parser.add_argument("--only", default="", help="bandwidth: only the configurations whose label has this")
    parser.add_argument("--skip", default="", help="bandwidth: not the configurations whose label has this")
    parser.add_argument("--part", choices=["bandwidth", "wal"], action="append",
                        help="measure only this part (repeatable; default both)")
    args = parser.parse_args()
    if args.seconds <= 0 or args.scale <= 0:
        parser.error("--seconds and --scale must be positive")
    parts = args.part or ["bandwidth", "wal"]
    figures = {}
    with tempfile.TemporaryDirectory(prefix="mm-fleet-measure-") as work:
        try:
            if "bandwidth" in parts:
                figures["bandwidth"] = measure_bandwidth(Path(work) / "bandwidth", args.seconds, args.scale,
                                                         args.only, args.skip)
            if "wal" in parts:
                figures["wal"] = measure_wal(Path(work) / "wal")
        except FigureError as e:
            sys.exit(f"fleet_measure.py: {e}: no result written")
    command = shlex.join(["bench/fleet_measure.py", *sys.argv[1:]])
    path = result_files.write("fleet", {"figures": figures}, command)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
