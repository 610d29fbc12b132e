#!/usr/bin/env bash
# Measures every figure the documentation quotes, into bench/results/*.json
# (each stamped with the commit, date, machine and command), then writes the
# documents' figure tables from those files (bench/figures.py). About two
# hours on 2 cores; loopback only. Run it on an idle machine, at a committed
# tree (a dirty one is stamped "-dirty"), as root (the hardening tests and
# the fleet's IP-packet row need it).
#
#   ./scripts/measure.sh                 everything
#   ./scripts/measure.sh bench fuzzing   only these (bench idle hardening
#                                        load faults fuzzing soak fleet)
#
# MMX_FLEET_SECONDS=N runs each configuration of the fleet step N seconds
# instead of 60 (a trial: its result file's command says so).
#
# A step that fails leaves its result file out; the documents then say "not
# yet measured at this commit" for it. Exits non-zero when any step failed.
set -euo pipefail
cd "$(dirname "$0")/.."

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(bench idle hardening load faults fuzzing soak fleet)

./scripts/install-deps.sh
# The memcheck run of the soak needs valgrind, which no test needs.
# shellcheck source=scripts/install-missing.sh
. scripts/install-missing.sh
install_missing measure.sh valgrind
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build build -j"$(nproc)"

export MMX_BUILD_DIR="$PWD/build"
export MMX_RESULTS_DIR="$PWD/bench/results"
mkdir -p "$MMX_RESULTS_DIR"
pytest=(/usr/bin/python3 -m pytest -q -ra -s -p no:cacheprovider --timeout=3600)
status=0

step() {  # step NAME COMMAND...: a fresh result file NAME.json, or none
  local name="$1"
  shift
  rm -f "$MMX_RESULTS_DIR/$name.json"
  local command
  command="$(printf '%q ' "$@")"
  echo "== $name: $command"
  if ! MMX_MEASURE_COMMAND="${command% }" "$@"; then
    # What the tests that passed recorded goes too: a step's figures are
    # one run's, all checked.
    rm -f "$MMX_RESULTS_DIR/$name.json"
    echo "== $name FAILED: no result written" >&2
    status=1
  fi
}

for s in "${steps[@]}"; do
  case "$s" in
    bench) step bench /usr/bin/python3 bench/run.py --runs 3 ;;
    idle) step idle /usr/bin/python3 bench/idle.py --minutes 10 --modems 16 ;;
    hardening) step hardening "${pytest[@]}" tests/e2e/test_http_hardening.py ;;
    load) step load "${pytest[@]}" tests/e2e/test_load.py ;;
    faults) step faults "${pytest[@]}" tests/e2e/test_faults.py tests/e2e/test_lifecycle.py ;;
    fuzzing) step fuzzing /usr/bin/python3 bench/fuzz_rate.py 60 ;;
    soak) step soak /usr/bin/python3 bench/soak.py --minutes 60 ;;
    fleet) step fleet /usr/bin/python3 bench/fleet_measure.py --seconds "${MMX_FLEET_SECONDS:-60}" ;;
    *) echo "measure.sh: unknown step $s" >&2; exit 2 ;;
  esac
done

/usr/bin/python3 bench/figures.py
exit "$status"
