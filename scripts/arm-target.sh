# shellcheck shell=bash
# The ARM architectures the scripts build for and test on, and what each
# needs. Sourced by build-cross.sh, test-qemu-user.sh and test-arm.sh.

# arm_target SCRIPT ARGS...: checks that ARGS is one architecture (arm64 or
# armhf), else prints SCRIPT's usage and exits 2; sets arch, triplet (the
# GNU triplet: compiler prefix, multiarch directory, toolchain file) and cpu
# (qemu's name: qemu-$cpu-static, binfmt_misc's qemu-$cpu).
# shellcheck disable=SC2034  # set for the script that sources this
arm_target() {
  local script="$1"
  shift
  case "$#:${1:-}" in
    1:arm64) arch=arm64 triplet=aarch64-linux-gnu cpu=aarch64 ;;
    1:armhf) arch=armhf triplet=arm-linux-gnueabihf cpu=arm ;;
    *)
      echo "usage: $script arm64|armhf" >&2
      exit 2
      ;;
  esac
}

# enable_binfmt CPU: lets the kernel hand this machine's programs of CPU to
# qemu-CPU-static. A fresh machine may have binfmt_misc unmounted, or qemu's
# entry not registered (qemu-user-static registers it only where binfmt_misc
# was mounted when it was installed). Needs binfmt-support.
enable_binfmt() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  [ -e /proc/sys/fs/binfmt_misc/register ] ||
    $sudo mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  if ! grep -qx enabled "/proc/sys/fs/binfmt_misc/qemu-$1" 2>/dev/null; then
    $sudo update-binfmts --import "qemu-$1" 2>/dev/null || true
    $sudo update-binfmts --enable "qemu-$1"
  fi
}
