"""Result files: every figure the documentation quotes is measured by
scripts/measure.sh into a JSON file in bench/results/, stamped with the
commit and the date it was measured at, the machine and the command.
bench/figures.py writes the documents' figure tables from these files only.
"""

import datetime
import json
import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(os.environ.get("MMX_RESULTS_DIR", ROOT / "bench" / "results"))
# The files scripts/measure.sh writes and bench/figures.py reads.
NAMES = ["bench", "idle", "hardening", "load", "faults", "fuzzing", "soak", "fleet"]


def commit():
    """HEAD's hash, with "-dirty" when the tree differs from it: a figure
    measured on uncommitted code says so. The result files themselves do not
    count: scripts/measure.sh removes a step's committed file before it
    measures again."""
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "--",
                            ":(top)", ":(top,exclude)bench/results"],
                           capture_output=True, text=True).stdout.strip()
    return head + ("-dirty" if dirty else "")


def machine():
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release()}


def stamp(command):
    """What every result file opens with."""
    return {"commit": commit(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(), "command": command}


def write(name, figures, command):
    """bench/results/NAME.json: the stamp and the figures."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"measured": stamp(command), **figures}, indent=1) + "\n")
    return path


def read(name):
    """The result file NAME, or None where it was never measured."""
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def record(name, key, figures):
    """Adds `figures` under `key` to the result file NAME, when a measuring
    run asked for result files (MMX_RESULTS_DIR); the tests call this, so a
    plain test run writes nothing. The stamp is the measuring run's."""
    if not os.environ.get("MMX_RESULTS_DIR"):
        return
    path = RESULTS / f"{name}.json"
    data = json.loads(path.read_text()) if path.exists() else {
        "measured": stamp(os.environ.get("MMX_MEASURE_COMMAND", "scripts/measure.sh")), "figures": {}}
    data["figures"][key] = figures
    RESULTS.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")
