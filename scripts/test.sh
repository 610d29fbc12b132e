#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the unit tests
# (CTest, plain and under ASan/UBSan), the end-to-end tests (pytest), and the
# arm64 and armhf cross builds with their unit tests under qemu-user.
# Exits non-zero when anything fails.
#
# Every run is strict: install-deps.sh has installed every tool the tests
# use, so a test that skips for want of one (or of root) fails the run; its
# reason is printed. MMX_ALLOW_SKIPS=1 relaxes that on a developer's partial
# machine, never under CI=true. Strict by default, rather than only when the
# CI system sets CI=true, so that .ci/run stays this script and nothing else
# and a local run means what a CI run means.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

jobs="$(nproc)"
# Prefix /usr: the layout of the Debian package that test_systemd.py builds.
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build build -j"$jobs"

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMMX_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs" --target unit-tests

status=0
echo "== unit tests (ASan/UBSan)"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure --timeout 300 -j"$jobs") || status=1

echo "== unit tests"
(cd build && ctest --output-on-failure --timeout 300 -j"$jobs") || status=1

echo "== end-to-end tests"
# Debian's python3 carries dbusmock and pytest; a python3 earlier on PATH may not.
# -ra lists every test that did not pass, skips with their reasons; no test
# may hang the run (a longer one says so with pytest.mark.timeout).
MMX_BUILD_DIR="$PWD/build" /usr/bin/python3 -m pytest -q -ra --timeout=300 -p no:cacheprovider \
  tests/e2e || status=1

echo "== container"
./scripts/test-container.sh || status=1

echo "== benchmark smoke run"
MMX_BUILD_DIR="$PWD/build" /usr/bin/python3 bench/run.py --smoke || status=1

echo "== fuzzing (${MMX_FUZZ_SECONDS:-30}s per target)"
./scripts/fuzz.sh "${MMX_FUZZ_SECONDS:-30}" || status=1

# ARM: the packages our users' boards run, and the unit tests under
# qemu-user. Each stage prints how long it took.
timed() {
  local start=$SECONDS
  "$@" || status=1
  echo "($* took $((SECONDS - start)) s)"
}
for arch in arm64 armhf; do
  echo "== cross build ($arch): binaries and .deb"
  timed ./scripts/build-cross.sh "$arch"
  echo "== unit tests under qemu-user ($arch)"
  timed ./scripts/test-qemu-user.sh "$arch"
done

exit "$status"
