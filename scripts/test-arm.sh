#!/usr/bin/env bash
# Boots Debian 12 arm64 under qemu-system-aarch64 (TCG, 2 CPUs) with the
# arm64 .deb of scripts/build-cross.sh, and runs tests/arm/guest_checks.py
# there: one-command mode as root (plain, gzip, TLS, a reload), the split
# systemd units, the frontend's sandbox on a real ARM kernel, a forbidden
# syscall killing the frontend, and the unit tests that need a kernel's
# seccomp. The guest's serial console comes back here; every check is an
# assertion, and the script exits non-zero unless all of them passed.
#
#   scripts/test-arm.sh          (after scripts/build-cross.sh arm64)
#
# Cheap on purpose: the root file system is Debian's packages *extracted*
# (mmdebstrap --variant=extract), not installed, so no maintainer script
# runs under emulation. What those scripts would have done and the guest
# needs is done here on the host: the users, the linker cache, dpkg's
# database (so that `dpkg -i` in the guest checks the package's Depends:
# for real and runs its postinst). There is no disk and no initrd to build:
# the whole tree is the initramfs, and systemd runs from it.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-arm64
deb="$(ls "$build"/mm-exporter_*_arm64.deb 2>/dev/null | head -1)"
if [ -z "$deb" ] || [ ! -x "$build/bin/unit-tests" ]; then
  echo "test-arm.sh: no arm64 package in $build: run scripts/build-cross.sh arm64 first" >&2
  exit 1
fi
vm="$build/vm"
mkdir -p "$vm"

SUDO="$([ "$(id -u)" -eq 0 ] || echo sudo)"
packages=(qemu-system-arm qemu-user-static binfmt-support mmdebstrap cpio openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
# One arm64 program runs here under binfmt: the guest's ldconfig.
[ -e /proc/sys/fs/binfmt_misc/register ] ||
  $SUDO mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
$SUDO update-binfmts --enable qemu-aarch64

step() { echo "test-arm.sh: $* ($SECONDS s)"; }

# --- Root file system: packages extracted, nothing run ------------------------
# The package's Depends:, what dpkg and the checks run, and the kernel. The
# tree is kept in the build directory for the next run with the same list
# (a fresh clone, as CI's, always makes it).
depends="$(dpkg-deb -f "$deb" Depends | sed 's/ *([^)]*)//g; s/ //g')"
include="base-files,base-passwd,bash,dash,coreutils,diffutils,findutils,grep,sed,tar,gzip"
include+=",util-linux,dpkg,libc-bin,procps,systemd,dbus-daemon,python3-dbusmock"
include+=",linux-image-arm64,$depends"
# The unit tests the guest runs link a few libraries more (cpp-httplib's
# client): the packages that hold them here, through multiarch.
for lib in $(aarch64-linux-gnu-readelf -d "$build/bin/unit-tests" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
  owner="$(dpkg -S "/usr/lib/aarch64-linux-gnu/$lib" "/lib/aarch64-linux-gnu/$lib" 2>/dev/null | head -1 || true)"
  owner="${owner%%:*}"
  case ",$include," in *",$owner,"*) ;; *) [ -z "$owner" ] || include+=",$owner" ;; esac
done
rootfs="$vm/rootfs"
if [ "$(cat "$vm/rootfs.key" 2>/dev/null)" != "$include" ]; then
step "root file system (mmdebstrap --variant=extract)"
rm -rf "$rootfs" "$vm/rootfs.key" "$vm/base.cpio"
mirror="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)"
$SUDO mmdebstrap --quiet --arch=arm64 --variant=extract --skip=cleanup/apt/cache \
  --include="$include" \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  bookworm "$rootfs" "${mirror:-http://deb.debian.org/debian}"

step "configuring it on the host"
# dpkg's database: every extracted package, installed.
for d in "$rootfs"/var/cache/apt/archives/*.deb; do
  dpkg-deb -f "$d" | sed '1a Status: install ok installed'
  echo
done >"$rootfs/var/lib/dpkg/status"
rm -f "$rootfs"/var/cache/apt/archives/*.deb
mkdir -p "$rootfs"/var/lib/dpkg/{info,updates,triggers,alternatives}
touch "$rootfs/var/lib/dpkg/available"
cp "$rootfs/usr/share/base-passwd/passwd.master" "$rootfs/etc/passwd"
cp "$rootfs/usr/share/base-passwd/group.master" "$rootfs/etc/group"
: >"$rootfs/etc/machine-id"
chroot "$rootfs" /sbin/ldconfig
# The kernel boots from here; its modules are not needed (no disk, no
# network: the tests use loopback, and seccomp and namespaces are built in).
cp "$rootfs"/boot/vmlinuz-* "$vm/vmlinuz"
rm -rf "$rootfs"/boot/* "$rootfs"/lib/modules "$rootfs"/usr/lib/modules
(cd "$rootfs" && find . -print0 | cpio --quiet --null -o -H newc -R 0:0) >"$vm/base.cpio"
echo "$include" >"$vm/rootfs.key"
fi

# --- What the guest runs ------------------------------------------------------
step "the test payload"
overlay="$vm/payload"
rm -rf "$overlay"
payload="$overlay/opt/mmx"
mkdir -p "$overlay/etc/systemd/system"
mkdir -p "$payload/build/bin" "$payload/tests" "$payload/tls"
cp "$deb" "$payload/mm-exporter.deb"
cp -r tests/e2e tests/mmsim "$payload/tests/"
cp tests/arm/guest_checks.py "$payload/"
ln -s /usr/sbin/mm-exporter "$payload/build/bin/mm-exporter"
ln -s /usr/libexec/mm-exporter/mm-exporter-frontend "$payload/build/bin/mm-exporter-frontend"
aarch64-linux-gnu-strip -o "$payload/unit-tests" "$build/bin/unit-tests"
# shellcheck source=scripts/kernel-tests.sh
. scripts/kernel-tests.sh
echo "$MMX_KERNEL_TESTS_FILTER" >"$payload/kernel-tests.filter"
aarch64-linux-gnu-gcc -shared -fPIC -O2 -Wall -Werror -o "$payload/forbidden_after_accept.so" \
  tests/arm/forbidden_after_accept.c
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$payload/tls/key.pem" -out "$payload/tls/cert.pem" 2>/dev/null
cat >"$payload/run.sh" <<'EOF'
#!/bin/bash
echo "MMX-GUEST: $(uname -m) $(uname -r), $(nproc) CPUs"
cd /opt/mmx
if dpkg -i mm-exporter.deb; then
  python3 guest_checks.py /opt/mmx
else
  echo "MMX-SUMMARY: 0 passed, 1 failed (dpkg -i)"
fi
EOF
chmod +x "$payload/run.sh"
cat >"$overlay/etc/systemd/system/mmx-test.service" <<'EOF'
[Unit]
Description=mm-exporter checks on arm64
[Service]
Type=oneshot
ExecStart=/opt/mmx/run.sh
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyAMA0
TimeoutStartSec=1800
SuccessAction=poweroff-force
FailureAction=poweroff-force
EOF

# The kernel unpacks one archive after the other: the root file system,
# then the payload over it.
step "initramfs"
(cd "$overlay" && find . -print0 | cpio --quiet --null -o -H newc -R 0:0) >"$vm/payload.cpio"
cat "$vm/base.cpio" "$vm/payload.cpio" >"$vm/initrd.cpio"
echo "test-arm.sh: initramfs $(du -m "$vm/initrd.cpio" | cut -f1) MiB"

# --- Boot ----------------------------------------------------------------------
step "booting (qemu-system-aarch64, TCG, 2 CPUs)"
console="$vm/console.log"
rm -f "$console"
timeout 1800 qemu-system-aarch64 -M virt -cpu cortex-a57 -smp 2 -m 1536 \
  -display none -monitor none -serial "file:$console" -no-reboot -nic none \
  -kernel "$vm/vmlinuz" -initrd "$vm/initrd.cpio" \
  -append "rdinit=/lib/systemd/systemd console=ttyAMA0 systemd.unit=mmx-test.service panic=-1 loglevel=4 \
systemd.show_status=error systemd.mask=systemd-udev-trigger.service systemd.mask=systemd-udevd.service" ||
  echo "test-arm.sh: qemu exited with status $?"
step "guest done"

grep -E '^(MMX-|PASS |FAIL |\[doctest\])' "$console" || true
if grep -q '^FAIL ' "$console"; then
  echo "--- guest console (failures) ---"
  sed -n '/^FAIL /,/^\(PASS\|MMX-SUMMARY\)/p' "$console" | head -200
fi
summary="$(grep -a '^MMX-SUMMARY: ' "$console" | tail -1 | sed 's/^MMX-SUMMARY: //')"
if [ -z "$summary" ]; then
  echo "test-arm.sh: the guest printed no summary; its console:"
  tail -80 "$console"
  echo "arm64: 0 passed, 1 failed"
  exit 1
fi
echo "arm64: $summary"
case "$summary" in
  *" 0 failed"*) [ "${summary%% *}" -gt 0 ] ;;
  *) exit 1 ;;
esac
