"""Golden files: the full exposition of each scenario, checked in, so a
reviewer reads every change of the output as a diff.

Regenerate after an intended change with
    MMX_UPDATE_GOLDEN=1 ./scripts/test.sh    (or the pytest line in it)
and review `git diff tests/e2e/golden`."""

import os
import shutil
from pathlib import Path

import pytest

from exporter import Exporter, promtool_problems, wait_for

GOLDEN = Path(__file__).resolve().parent / "golden"
SCENARIOS = ["two-modems.json", "5g-dual-sim.json", "legacy-technologies.json",
             "hostile-strings.json", "empty.json"]
# Families whose values change from run to run (time, memory, build).
VOLATILE = ("process_", "modemmanager_exporter_", "modemmanager_scrape_duration_seconds")
UPDATE = os.environ.get("MMX_UPDATE_GOLDEN") == "1"


def stable_part(text):
    """The exposition without the families that differ between runs."""
    kept = []
    for line in text.split("\n"):  # not splitlines(): U+2028 etc. are legal in labels
        name = line.split(" ")[2] if line.startswith("# ") else line
        if not name.startswith(VOLATILE):
            kept.append(line)
    return "\n".join(kept) + "\n"


# Left out of the golden files for their values, but every scenario must
# serve them; the process ones for both processes.
VOLATILE_FAMILIES = ["modemmanager_scrape_duration_seconds", "modemmanager_exporter_build_info",
                     "modemmanager_exporter_collector_up", "modemmanager_exporter_snapshot_age_seconds",
                     "modemmanager_exporter_snapshots_total", "modemmanager_exporter_dbus_call_window",
                     "modemmanager_exporter_dbus_calls_in_flight_max",
                     "modemmanager_exporter_dbus_call_retries_total"]
PROCESS_FAMILIES = ["process_cpu_seconds_total", "process_resident_memory_bytes",
                    "process_start_time_seconds", "process_open_fds", "process_max_fds"]


def check_volatile_families(metrics):
    for name in VOLATILE_FAMILIES:
        assert metrics.has(name), f"{name} missing"
    for name in PROCESS_FAMILIES:
        for process in ("collector", "frontend"):
            assert metrics.has(name, process=process), f"{name}{{process={process}}} missing"


def settled_exposition(exporter):
    """Scrapes until the start-up collection is over and two scrapes agree."""
    previous = [None]

    def settled():
        m = exporter.scrape()
        if m.has("modemmanager_up") and m.value("modemmanager_up") == 1 and \
                not m.has("modemmanager_scrape_duration_seconds"):
            return None
        text = stable_part(m.text)
        same = text == previous[0]
        previous[0] = text
        return text if same else None

    return wait_for(settled, timeout=10, interval=0.3, what="a settled exposition")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_exposition_matches_golden_file(start_mmsim, bus, scenario):
    start_mmsim(scenario)
    exporter = Exporter(bus.address, ["--refresh-interval=1h"])
    try:
        exporter.wait_healthy()
        text = settled_exposition(exporter)
        check_volatile_families(exporter.scrape())
    finally:
        exporter.stop()
    golden = GOLDEN / (Path(scenario).stem + ".prom")
    if UPDATE:
        golden.write_bytes(text.encode("utf-8"))  # bytes: a label may hold \r
    assert golden.exists(), f"{golden} missing: run with MMX_UPDATE_GOLDEN=1"
    expected = golden.read_bytes().decode("utf-8")
    assert text == expected, f"exposition differs from {golden.name}; if intended, " \
                             "regenerate with MMX_UPDATE_GOLDEN=1 and review the diff"


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (package prometheus) missing")
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_golden_files_pass_promtool(scenario):
    text = (GOLDEN / (Path(scenario).stem + ".prom")).read_bytes().decode("utf-8")
    problems = promtool_problems(text)
    assert problems == [], "\n".join(problems)
