"""The container tests reuse the end-to-end tests' private bus, simulated
ModemManager and HTTP helpers (tests/e2e/harness.py, exporter.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))
