#!/usr/bin/env python3
"""Fuzzing throughput: scripts/fuzz.sh SECONDS (every target, from the
corpus in the repository), then each target's executions and peak RSS from
libFuzzer's final statistics. Writes bench/results/fuzzing.json when no
target found anything.

    /usr/bin/python3 bench/fuzz_rate.py [SECONDS_PER_TARGET]
"""

import re
import subprocess
import sys

import result_files

TARGETS = ["snapshot", "flags", "http", "web_config"]


def main():
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    run = subprocess.run([str(result_files.ROOT / "scripts" / "fuzz.sh"), str(seconds)])
    targets = {}
    for target in TARGETS:
        log = (result_files.ROOT / "build-fuzz" / f"fuzz_{target}.log").read_text(errors="replace")
        stat = lambda name: int(re.search(rf"^stat::{name}:\s+(\d+)", log, re.M).group(1))  # noqa: E731
        crash = re.search(r"^(==\d+==ERROR: .*|SUMMARY: .*)$", log, re.M)
        targets[target] = {"seconds": seconds, "executions": stat("number_of_executed_units"),
                           "peak_rss_mb": stat("peak_rss_mb"), "finding": crash.group(1) if crash else None}
        print(target, targets[target])
    if run.returncode != 0 or any(t["finding"] for t in targets.values()):
        print("fuzz_rate.py: a target found something; no result written", file=sys.stderr)
        return 1
    result_files.write("fuzzing", {"targets": targets}, f"bench/fuzz_rate.py {seconds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
