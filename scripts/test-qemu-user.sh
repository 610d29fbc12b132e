#!/usr/bin/env bash
# Runs the unit tests of a cross build (scripts/build-cross.sh ARCH) under
# qemu-user, on this machine's kernel.
#
#   scripts/test-qemu-user.sh arm64|armhf
#
# qemu-user cannot load a seccomp filter (it would apply to qemu itself), so
# the tests that load the frontend's filter or enter its sandbox are not run
# here: they are listed as NOT RUN, and scripts/test-arm.sh ARCH runs them on
# an emulated ARM kernel (arm64 in CI). Everything else must pass.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/arm-target.sh
. scripts/arm-target.sh
# shellcheck source=scripts/install-missing.sh
. scripts/install-missing.sh
arm_target "$0" "$@"
build="build-$arch"
if [ ! -f "$build/CTestTestfile.cmake" ]; then
  echo "test-qemu-user.sh: no cross build in $build: run scripts/build-cross.sh $arch first" >&2
  exit 1
fi

# Tests that start a target binary of their own (a child process) need the
# kernel to hand it to qemu: binfmt_misc, as qemu-user-static registers it.
install_missing test-qemu-user.sh binfmt-support
enable_binfmt "$cpu"

# Shared with scripts/test-arm.sh, which runs exactly these in the VM.
# shellcheck source=scripts/kernel-tests.sh
. scripts/kernel-tests.sh

echo "NOT RUN under qemu-user (they need a real kernel's seccomp; scripts/test-arm.sh runs them):"
(cd "$build" && ctest -N -R "$MMX_KERNEL_TESTS_REGEX") | sed -n 's/^ *Test *#[0-9]*: /  /p'
# The emulated CPU is many times slower: the tests' waits stretch with it.
(cd "$build" && MMX_TEST_TIME_SCALE=10 ctest --output-on-failure -j"$(nproc)" \
  -E "$MMX_KERNEL_TESTS_REGEX")
