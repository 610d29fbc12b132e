"""Every measured figure the documents quote comes from a result file of
scripts/measure.sh (bench/results), written into the document by
bench/figures.py: a figure typed by hand, or a table that no longer matches
its result file, fails here."""

import json
import re
import subprocess
import sys
from pathlib import Path

import harness

BENCH = harness.TESTS_DIR.parent / "bench"
sys.path.insert(0, str(BENCH))
import figures  # noqa: E402
import result_files  # noqa: E402


def test_documents_quote_only_figures_the_result_files_hold():
    check = subprocess.run([sys.executable, str(BENCH / "figures.py"), "--check"],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


def test_every_result_file_is_stamped_with_commit_date_and_command():
    for path in (result_files.RESULTS / f"{name}.json" for name in result_files.NAMES):
        if not path.exists():
            continue
        stamp = json.loads(path.read_text())["measured"]
        assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", stamp["commit"]), (path, stamp)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", stamp["date"]), (path, stamp)
        assert stamp["command"] and stamp["machine"]["cpu"], (path, stamp)


def test_a_figure_typed_outside_a_block_is_found(tmp_path):
    doc = tmp_path / "DOC.md"
    text = ("Scrapes take 8 KiB at most and time out after 10 s.\n"
            "Plain scrapes: 2,460 req/s (p50 4.13 ms).\n"
            + figures.BEGIN.format("load") + "\n| 9,999 req/s |\n" + figures.END.format("load") + "\n"
            "Memory 11.5 → 11.7 MiB.\nMeasured on 2026-11-26.\n")
    found = figures.quoted_figures(doc, text)
    assert [line.split(":")[1] for line in found] == ["2", "6", "7"], found


def test_a_table_edited_by_hand_is_rewritten_from_its_result_file(tmp_path):
    doc = tmp_path / "DOC.md"
    typed = figures.BEGIN.format("load") + "\n| plain | 9,999 req/s |\n" + figures.END.format("load") + "\n"
    written = figures.rendered(doc, "intro\n" + typed)
    assert "9,999" not in written
    assert written == "intro\n" + figures.BEGIN.format("load") + "\n" + figures.block_load() + \
        figures.END.format("load") + "\n"
