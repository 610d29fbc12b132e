#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the unit tests
# (CTest, plain and under ASan/UBSan), the end-to-end tests (pytest), the
# container, the benchmarks' smoke run, fuzzing, the arm64 and armhf cross
# builds with their unit tests under qemu-user, and the arm64 package on an
# emulated arm64 kernel (scripts/test-arm.sh; armhf's on request, below).
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

# Each stage prints how long it took, and the run its total: CI's time
# budget is 40 minutes on a 2-core machine.
status=0
stages=()
timed() {
  local start=$SECONDS result=passed
  "$@" || { status=1; result=FAILED; }
  echo "($* took $((SECONDS - start)) s)"
  stages+=("$result $((SECONDS - start)) s: $*")
}

./scripts/install-deps.sh

jobs="$(nproc)"
echo "== build"
build_all() {
  # Prefix /usr: the layout of the Debian package that test_systemd.py builds.
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
  cmake --build build -j"$jobs"
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMMX_SANITIZE=ON >/dev/null
  cmake --build build-asan -j"$jobs" --target unit-tests
}
start=$SECONDS
build_all
echo "(build_all took $((SECONDS - start)) s)"

# What an earlier run here left would be reported as this run's.
rm -f build*/Testing/Temporary/LastTestsFailed.log build/end-to-end.log
echo "== unit tests (ASan/UBSan)"
unit_tests_asan() {
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure --timeout 300 -j"$jobs")
}
timed unit_tests_asan

echo "== unit tests"
unit_tests() { (cd build && ctest --output-on-failure --timeout 300 -j"$jobs"); }
timed unit_tests

echo "== end-to-end tests"
# Debian's python3 carries dbusmock and pytest; a python3 earlier on PATH may not.
# -ra lists every test that did not pass, skips with their reasons; no test
# may hang the run (a longer one says so with pytest.mark.timeout).
end_to_end_tests() {
  MMX_BUILD_DIR="$PWD/build" /usr/bin/python3 -m pytest -q -ra --timeout=300 -p no:cacheprovider \
    tests/e2e | tee build/end-to-end.log
}
timed end_to_end_tests

echo "== container"
timed ./scripts/test-container.sh

echo "== benchmark smoke run"
benchmark_smoke() { MMX_BUILD_DIR="$PWD/build" /usr/bin/python3 bench/run.py --smoke; }
timed benchmark_smoke

echo "== fuzzing (${MMX_FUZZ_SECONDS:-30}s per target)"
timed ./scripts/fuzz.sh "${MMX_FUZZ_SECONDS:-30}"

# ARM: the packages our users' boards run, their unit tests under
# qemu-user, and the package booted on an emulated ARM kernel: arm64 only
# by default, as armhf's would take the run past its budget (README, "On an
# ARM board"). MMX_ARM_SYSTEM_TESTS="arm64 armhf" runs both.
for arch in arm64 armhf; do
  echo "== cross build ($arch): binaries and .deb"
  timed ./scripts/build-cross.sh "$arch"
  echo "== unit tests under qemu-user ($arch)"
  timed ./scripts/test-qemu-user.sh "$arch"
  case " ${MMX_ARM_SYSTEM_TESTS:-arm64} " in
    *" $arch "*)
      echo "== system test on an emulated $arch kernel (qemu-system, Debian 12)"
      timed ./scripts/test-arm.sh "$arch"
      ;;
  esac
done

# The end of a long log is what a CI page shows first: every stage's
# outcome again, and the names of the tests that failed.
echo "== summary"
printf '%s\n' "${stages[@]}"
for failed in build-asan/Testing/Temporary/LastTestsFailed.log \
              build/Testing/Temporary/LastTestsFailed.log; do
  if [ -s "$failed" ]; then sed "s|^|unit test failed (${failed%%/*}): |" "$failed"; fi
done
grep -E '^(FAILED|ERROR) ' build/end-to-end.log 2>/dev/null || true
echo "== total: $((SECONDS / 60)) min $((SECONDS % 60)) s"
exit "$status"
