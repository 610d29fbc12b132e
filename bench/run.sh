#!/usr/bin/env bash
# One command for the benchmarks: installs what they need, builds, runs them
# and writes bench/results/bench.json, bench/RESULTS.md and bench/results.png.
# Every figure the documents quote: scripts/measure.sh.
#
#   ./bench/run.sh            N = 1, 16, 64, 256, three runs each (about 20 minutes)
#   ./bench/run.sh --smoke    N = 4, a few seconds (CI runs this)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target mm-exporter mm-exporter-frontend render-bench
MMX_BUILD_DIR="$PWD/build" exec /usr/bin/python3 bench/run.py "$@"
