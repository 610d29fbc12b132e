#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) and
# runs each for a bounded time, starting from the corpus in the repository.
#
#   ./scripts/fuzz.sh [SECONDS_PER_TARGET]    (default 60)
#
# Exits non-zero when a target finds a crash; the reproducer is left in
# build-fuzz/ and named in the output.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
case "$seconds" in ''|*[!0-9]*) echo "fuzz.sh: seconds must be a number" >&2; exit 2 ;; esac

CC=clang CXX=clang++ cmake -S . -B build-fuzz -DMMX_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_snapshot fuzz_flags fuzz_http fuzz_web_config

status=0
for target in snapshot flags http web_config; do
  work="build-fuzz/corpus-$target"
  mkdir -p "$work"
  echo "== fuzz_$target for ${seconds}s"
  if ! (cd build-fuzz && ./bin/"fuzz_$target" -max_total_time="$seconds" -timeout=10 \
          -rss_limit_mb=2048 -print_final_stats=1 "corpus-$target" \
          "../tests/fuzz/corpus/$target" 2>"fuzz_$target.log"); then
    status=1
    tail -40 "build-fuzz/fuzz_$target.log"
  fi
  grep -E "^stat::(number_of_executed_units|peak_rss_mb|exporter_status_renders)|^Done" \
    "build-fuzz/fuzz_$target.log" || true
done
# fuzz_snapshot drives every renderer; the exporter status (rendered at each
# scrape) must have been reached, or the fuzzer tests less than it claims.
if ! grep -Eq "^stat::exporter_status_renders: [1-9]" build-fuzz/fuzz_snapshot.log; then
  echo "fuzz.sh: fuzz_snapshot never reached the exporter status" >&2
  status=1
fi
exit "$status"
