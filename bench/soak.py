#!/usr/bin/env python3
"""Soak: mm-exporter under steady scrapes while modems change every second.
Samples the RSS of collector and frontend and fails when either grows by
more than 1 % from the quarter after warm-up (the first tenth) to the last
quarter of the run. Then the collector alone under valgrind's memcheck
through 200 changes and 20 replugs: fails unless it exits 0 with no error
and no block definitely or indirectly lost. Writes bench/results/soak.json
(both runs) when both pass and the soak lasted an hour or more.

    /usr/bin/python3 bench/soak.py [--minutes 60] [--rate 100] [--modems 16]

Bounded in time; traffic only to loopback.
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import harness  # noqa: E402
import result_files  # noqa: E402
from exporter import COLLECTOR, FRONTEND, Metrics, http_get, wait_for  # noqa: E402
from exporter import Exporter  # noqa: E402

VALGRIND_CHANGES, VALGRIND_REPLUGS = 200, 20


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def valgrind_run(work):
    """The collector under memcheck, in split mode, with a frontend (not under
    valgrind) that shows each change arrived; SIGTERM at the end."""
    scenario = work / "valgrind.json"
    scenario.write_text(os.popen(f"{sys.executable} {ROOT}/bench/gen_scenario.py 4").read())
    modems = json.loads(scenario.read_text())["modems"]
    bus = harness.PrivateBus()
    sim = harness.start_mmsim(bus, str(scenario), timeout=60)
    work.chmod(0o755)  # the frontend, started as root, runs as nobody in here
    sock, log = str(work / "collector.sock"), work / "valgrind.log"
    command = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect",
               "--errors-for-leak-kinds=definite,indirect", f"--log-file={log}", COLLECTOR,
               f"--collector-socket={sock}"]
    collector = harness.spawn(command, env=bus.env(), stderr=subprocess.DEVNULL)
    port = harness.free_port()
    frontend = None
    try:
        wait_for(lambda: os.path.exists(sock), timeout=120, what="the collector's socket under valgrind")
        frontend = harness.spawn([FRONTEND, f"--collector-socket={sock}",
                                  f"--web.listen-address=127.0.0.1:{port}"], stderr=subprocess.DEVNULL)
        scrape = lambda: Metrics(http_get(f"http://127.0.0.1:{port}/metrics").text)  # noqa: E731
        wait_for(lambda: scrape().has("modemmanager_modems") and scrape().value("modemmanager_modems") == 4,
                 timeout=120, what="modems through valgrind")
        device = modems[0]["device_id"]
        for k in range(VALGRIND_CHANGES):
            sim.client.set_property(device, "modem", "SignalQuality", [k % 100, True])
            wait_for(lambda: scrape().value("modemmanager_modem_signal_quality_percent",
                                            device_id=device) == k % 100, timeout=30, what=f"change {k}")
        for k in range(VALGRIND_REPLUGS):
            spec = modems[1 + k % 3]
            sim.client.remove_modem(spec["device_id"])
            wait_for(lambda: scrape().value("modemmanager_modems") == 3, timeout=30, what="unplugged")
            sim.client.add_modem(spec)
            wait_for(lambda: scrape().value("modemmanager_modems") == 4, timeout=30, what="replugged")
        collector.send_signal(signal.SIGTERM)
        status = collector.wait(120)
    finally:
        if frontend:
            harness.stop(frontend)
        harness.stop(collector)
        sim.stop()
        bus.stop()
    text = log.read_text()
    lost = lambda kind: int(re.search(rf"{kind} lost: ([\d,]+) bytes", text).group(1).replace(",", ""))  # noqa: E731
    no_leaks = "All heap blocks were freed -- no leaks are possible" in text
    return {"command": " ".join(command[:4] + ["--log-file=valgrind.log mm-exporter --collector-socket=..."]),
            "changes": VALGRIND_CHANGES, "replugs": VALGRIND_REPLUGS, "exit_status": status,
            "definitely_lost_bytes": 0 if no_leaks else lost("definitely"),
            "indirectly_lost_bytes": 0 if no_leaks else lost("indirectly"),
            "errors": int(re.search(r"ERROR SUMMARY: ([\d,]+) errors", text).group(1).replace(",", ""))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--rate", type=int, default=100, help="scrapes per second")
    parser.add_argument("--modems", type=int, default=16)
    parser.add_argument("--no-valgrind", action="store_true", help="the soak only")
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
    if args.no_valgrind:
        shutil.rmtree(work, ignore_errors=True)
        sys.exit(0 if ok else 1)
    try:
        memcheck = valgrind_run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(memcheck, indent=1))
    ok = ok and memcheck["exit_status"] == 0 and memcheck["errors"] == 0 and \
        memcheck["definitely_lost_bytes"] == 0 and memcheck["indirectly_lost_bytes"] == 0
    if ok and args.minutes >= 60:
        result_files.write("soak", {"soak": result, "valgrind": memcheck},
                           f"bench/soak.py --minutes {args.minutes:g} --rate {args.rate} --modems {args.modems}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
