"""Load: wrk against /metrics with 64 simulated modems for 60 s, with zero
errors (docs/RELIABILITY.md). A test, run in CI like the others, not a
benchmark: bench/run.py measures throughput against nginx."""

import re
import shutil
import subprocess
import sys

import pytest

import harness
from exporter import Exporter

SECONDS = 60
# Under --web.max-requests (40): every request is admitted, none gets 503.
CONNECTIONS = 32


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk missing (scripts/install-deps.sh)")
def test_wrk_64_modems_60s_no_errors(bus, tmp_path):
    scenario = tmp_path / "64-modems.json"
    scenario.write_text(subprocess.run(
        [sys.executable, str(harness.TESTS_DIR.parent / "bench" / "gen_scenario.py"), "64"],
        check=True, capture_output=True, text=True).stdout)
    sim = harness.start_mmsim(bus, str(scenario), timeout=60)
    exp = Exporter(bus.address)
    try:
        exp.wait_healthy(timeout=20)
        exp.wait_metrics(lambda m: m.has("modemmanager_modems") and
                         m.value("modemmanager_modems") == 64, timeout=30, what="64 modems")
        collector, frontend = exp.process.pid, exp.frontend_pid()
        # Half as Prometheus asks (gzip), half plain: one wrk each.
        runs = []
        for headers in ([], ["-H", "Accept-Encoding: gzip"]):
            runs.append(subprocess.Popen(
                ["wrk", "-t", "1", "-c", str(CONNECTIONS // 2), "-d", f"{SECONDS}s", "--latency",
                 *headers, exp.url("/metrics")], stdout=subprocess.PIPE, text=True))
        outputs = [run.communicate(timeout=SECONDS + 30)[0] for run in runs]
        assert exp.process.poll() is None and exp.process.pid == collector
        assert exp.frontend_pid() == frontend, "the frontend was restarted"
    finally:
        status, log = exp.stop()
        sim.stop()
    assert status == 0, log
    for kind, out in zip(("plain", "gzip"), outputs):
        print(f"--- wrk, {kind} ---\n{out}")
        assert [run.returncode for run in runs] == [0, 0]
        requests = int(re.search(r"(\d+) requests in", out).group(1))
        assert requests > 1000, out
        assert "Socket errors" not in out, out
        assert "Non-2xx or 3xx responses" not in out, out
        latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
        harness.record_figures("load", kind, {
            "seconds": SECONDS, "connections": CONNECTIONS // 2, "modems": 64, "requests": requests,
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": latency.get("50"), "p99": latency.get("99"), "errors": 0})
