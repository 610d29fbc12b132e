#!/usr/bin/env bash
# Installs every Debian 12 package that building, running the demo and testing
# mm-exporter need. Idempotent: does nothing when all of them are present.
#   --build   only what configuring and compiling the two binaries needs
#             (docker/Dockerfile's build stage)
set -euo pipefail

build_packages=(
  cmake g++ make pkg-config git python3
  libsdbus-c++-dev libsdbus-c++-bin
  capnproto libcapnp-dev
  libcpp-httplib-dev libssl-dev
  libseccomp-dev
  libsystemd-dev
  zlib1g-dev
  doctest-dev
  # common/expected.h: std::expected for C++20 (header only)
  libexpected-dev
  # --web.config.file: YAML, and bcrypt through libxcrypt's crypt_rn
  libyaml-cpp-dev libcrypt-dev
  # ModemManager-enums.h, from which the frontend's value names are generated
  modemmanager-dev
)

packages=(
  "${build_packages[@]}"
  # fuzzing (libFuzzer)
  clang libclang-rt-14-dev
  # tests and demo; pytest-timeout bounds every end-to-end test
  dbus
  python3 python3-dbus python3-gi python3-dbusmock python3-pytest python3-pytest-timeout
  # what the tests call and a minimal Debian 12 lacks: openssl (test
  # certificates), pgrep (procps), ip and its network namespaces (iproute2)
  openssl procps iproute2
  modemmanager
  prometheus
  curl python3-prometheus-client python3-yaml
  # bcrypt hashes for basic auth configs (htpasswd -nBC), as docs/TLS.md shows
  apache2-utils
  # systemd units and the Debian package (tests/e2e/test_systemd.py):
  # systemd-analyze, systemd-socket-activate, -sysusers and -tmpfiles;
  # systemd-nspawn, to run the units under a real PID 1; CPack's
  # dpkg-shlibdeps and file; man for the Documentation= check; setpriv
  systemd systemd-container dpkg-dev file man-db util-linux
  # the package's check by Debian's own tool (test_systemd.py)
  lintian
  # the landing page in a headless browser (tests/e2e/test_landing_page.py)
  chromium
  # the container image (scripts/test-container.sh): debootstrap makes the
  # base image, podman builds and runs docker/Dockerfile with runc (crun
  # refuses hybrid cgroup hierarchies), podman-compose the compose file
  podman runc debootstrap podman-compose
  # benchmarks (bench/run.sh; its smoke mode runs in CI)
  wrk nginx-light gnuplot-nox
)

case "${1:-}" in
  "") ;;
  --build) packages=("${build_packages[@]}") ;;
  *) echo "install-deps.sh: unknown argument $1 (--build installs only the build packages)" >&2; exit 2 ;;
esac

# shellcheck source=scripts/install-missing.sh
. "$(dirname "$0")/install-missing.sh"
install_missing install-deps "${packages[@]}"
