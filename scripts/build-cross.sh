#!/usr/bin/env bash
# Cross-builds mm-exporter for a Debian 12 ARM architecture on an amd64
# Debian 12 host: installs what is missing (the cross compiler, the target's
# libraries through multiarch, qemu-user), then builds the binaries, the unit
# tests and the .deb in build-ARCH/.
#
#   scripts/build-cross.sh arm64|armhf
#
# The package is build-ARCH/mm-exporter_VERSION-1_ARCH.deb, its Depends: from
# the target's shared libraries (dpkg-shlibdeps). The Cap'n Proto schema is
# compiled by the host's capnp; the man pages come from the target binaries'
# --help, run under qemu-user.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/arm-target.sh
. scripts/arm-target.sh
# shellcheck source=scripts/install-missing.sh
. scripts/install-missing.sh
arm_target "$0" "$@"

# The host's tools: capnp, python3, ModemManager's enum header, dpkg-shlibdeps.
./scripts/install-deps.sh

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
  echo "build-cross.sh: adding the $arch architecture to dpkg" >&2
  $SUDO dpkg --add-architecture "$arch"
  $SUDO apt-get update -qq
fi

# Every -dev package here is Multi-Arch: same, so it installs beside the
# host's. libyaml-cpp-dev is not (it would replace the host's): only its
# runtime library is installed, and the link files come from its .deb below.
packages=(crossbuild-essential-"$arch" qemu-user-static)
# libmm-glib0: a unit test loads it (dlopen) to compare value names.
for p in libsdbus-c++-dev libcapnp-dev libcpp-httplib-dev libssl-dev libseccomp-dev \
  libsystemd-dev zlib1g-dev libcrypt-dev libyaml-cpp0.7 libmm-glib0; do
  packages+=("$p:$arch")
done
install_missing build-cross.sh "${packages[@]}"

build="build-$arch"
mkdir -p "$build"

# yaml-cpp's link name and pkg-config file for the target, made in the build
# directory in place of its -dev package; the headers are the host's (the
# same files), the library the multiarch one installed above.
yaml="$PWD/$build/yaml-cpp-dev"
if [ ! -f "$yaml/lib/pkgconfig/yaml-cpp.pc" ]; then
  rm -rf "$yaml" && mkdir -p "$yaml/lib/pkgconfig"
  version="$(dpkg-query -W -f='${Version}' "libyaml-cpp0.7:$arch")"
  pc_version="${version%%+*}"
  ln -s "/usr/lib/$triplet/libyaml-cpp.so.0.7" "$yaml/lib/libyaml-cpp.so"
  cat >"$yaml/lib/pkgconfig/yaml-cpp.pc" <<EOF
Name: Yaml-cpp
Description: A YAML parser and emitter for C++
Version: $pc_version
Cflags: -I/usr/include
Libs: -L$yaml/lib -lyaml-cpp
EOF
fi

jobs="$(nproc)"
PKG_CONFIG_PATH="$yaml/lib/pkgconfig" \
  cmake -S . -B "$build" -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchains/$triplet.cmake" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$build" -j"$jobs"
# dpkg-shlibdeps looks for the libraries in the target's multiarch directory.
rm -f "$build"/mm-exporter_*_"$arch".deb
(cd "$build" && DEB_HOST_ARCH="$arch" cpack -G DEB >/dev/null)
deb="$(ls "$build"/mm-exporter_*_"$arch".deb)"
echo "build-cross.sh: $deb"
dpkg-deb -f "$deb" Package Version Architecture Depends
