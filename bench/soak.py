#!/usr/bin/env python3
"""Soak: mm-exporter under steady scrapes while modems change every second.
Samples the RSS of collector and frontend and fails when either grows by
more than 1 % from the quarter after warm-up (the first tenth) to the last
quarter of the run.

    /usr/bin/python3 bench/soak.py [--minutes 60] [--rate 100] [--modems 16]

Bounded in time; traffic only to loopback.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import harness  # noqa: E402
from exporter import Exporter  # noqa: E402


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--rate", type=int, default=100, help="scrapes per second")
    parser.add_argument("--modems", type=int, default=16)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mmx-soak-"))
    scenario = work / "soak.json"
    scenario.write_text(os.popen(f"{sys.executable} {ROOT}/bench/gen_scenario.py {args.modems}").read())
    device_ids = [m["device_id"] for m in json.loads(scenario.read_text())["modems"]]
    bus = harness.PrivateBus()
    sim = harness.start_mmsim(bus, str(scenario), timeout=60)
    exporter = Exporter(bus.address)
    exporter.wait_healthy(timeout=20)
    collector, frontend = exporter.process.pid, exporter.frontend_pid()
    end = time.monotonic() + args.minutes * 60
    errors, scrapes = [], [0]
    stop = threading.Event()

    def scraper():
        interval = 1.0 / args.rate
        next_at = time.monotonic()
        while not stop.is_set():
            try:
                with urllib.request.urlopen(exporter.url("/metrics"), timeout=5) as r:
                    r.read()
                scrapes[0] += 1
            except Exception as e:  # noqa: BLE001 - every failure is a finding
                errors.append(repr(e))
            next_at += interval
            time.sleep(max(0, next_at - time.monotonic()))

    thread = threading.Thread(target=scraper)
    thread.start()
    samples = []
    k = 0
    try:
        while time.monotonic() < end:
            device = device_ids[k % len(device_ids)]
            sim.client.set_property(device, "modem", "SignalQuality", [10 + k % 90, True])
            k += 1
            samples.append((time.monotonic(), rss_kib(collector), rss_kib(frontend)))
            time.sleep(1)
    finally:
        stop.set()
        thread.join()
        exporter.stop()
        sim.stop()
        bus.stop()
    # The first tenth is warm-up (allocator pools, caches, the first full
    # collections); growth is the second quarter against the last.
    quarter = max(1, len(samples) // 4)
    warm = len(samples) // 10
    result = {"minutes": args.minutes, "rate": args.rate, "modems": args.modems,
              "scrapes": scrapes[0], "changes": k, "errors": len(errors)}
    for index, name in ((1, "collector"), (2, "frontend")):
        first = statistics.median(s[index] for s in samples[warm:warm + quarter])
        last = statistics.median(s[index] for s in samples[-quarter:])
        result[f"{name}_rss_kib_first_quarter"] = first
        result[f"{name}_rss_kib_last_quarter"] = last
        result[f"{name}_growth_percent"] = round(100 * (last - first) / first, 2)
    print(json.dumps(result, indent=1))
    ok = not errors and all(result[f"{n}_growth_percent"] < 1 for n in ("collector", "frontend"))
    if errors:
        print("first errors:", errors[:5])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
