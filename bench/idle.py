#!/usr/bin/env python3
"""Idle CPU: mm-exporter with its default flags over a simulated
ModemManager whose modems report new signal values periodically, as a real
one does once Signal.Setup has set a rate (the default --signal-rate 5s):
every modem's extended signal and signal quality change every 5 s. No
scrapes. CPU time of collector and frontend over the run, as a share of one
core. Writes bench/results/idle.json.

    /usr/bin/python3 bench/idle.py [--minutes 10] [--modems 16]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import harness  # noqa: E402
import result_files  # noqa: E402
from exporter import Exporter  # noqa: E402

UPDATE_EVERY_S = 5


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--modems", type=int, default=16)
    args = parser.parse_args()
    if args.minutes < 10:
        print("idle.py: shorter than 10 minutes; the result is not written", file=sys.stderr)

    work = Path(tempfile.mkdtemp(prefix="mmx-idle-"))
    scenario = work / "idle.json"
    scenario.write_text(subprocess.run([sys.executable, str(ROOT / "bench" / "gen_scenario.py"),
                                        str(args.modems)], check=True, capture_output=True,
                                       text=True).stdout)
    device_ids = [m["device_id"] for m in json.loads(scenario.read_text())["modems"]]
    bus = harness.PrivateBus()
    sim = harness.start_mmsim(bus, str(scenario), timeout=60)
    exporter = Exporter(bus.address, [])  # the default flags
    try:
        exporter.wait_healthy(timeout=20)
        exporter.wait_metrics(lambda m: m.has("modemmanager_modems") and
                              m.value("modemmanager_modems") == args.modems, timeout=60,
                              what=f"{args.modems} modems")
        collector, frontend = exporter.process.pid, exporter.frontend_pid()
        before = cpu_seconds(collector) + cpu_seconds(frontend)
        started = time.monotonic()
        end = started + args.minutes * 60
        updates = 0
        while time.monotonic() < end:
            for i, device in enumerate(device_ids):
                k = updates + i
                sim.client.update_modem(device, {
                    "modem": {"signal_quality": [40 + k % 50, True]},
                    "signal": {"lte": {"rssi": -60.0 - k % 20, "rsrq": -9.0 - k % 3,
                                       "rsrp": -90.0 - k % 15, "snr": 10.0 + k % 5}}})
            updates += 1
            time.sleep(max(0.0, started + updates * UPDATE_EVERY_S - time.monotonic()))
        seconds = time.monotonic() - started
        used = cpu_seconds(collector) + cpu_seconds(frontend) - before
        assert exporter.frontend_pid() == frontend, "the frontend was restarted"
    finally:
        exporter.stop()
        sim.stop()
        bus.stop()
    figures = {"modems": args.modems, "minutes": round(seconds / 60, 1),
               "update_every_s": UPDATE_EVERY_S, "updates_per_modem": updates,
               "flags": "defaults", "cpu_seconds": round(used, 2),
               "cpu_percent_of_a_core": round(100 * used / seconds, 4)}
    print(json.dumps(figures, indent=1))
    if args.minutes >= 10:
        result_files.write("idle", figures, f"bench/idle.py --minutes {args.minutes:g} --modems {args.modems}")


if __name__ == "__main__":
    main()
