#!/usr/bin/env bash
# Boots Debian 12 for ARCH under qemu-system-aarch64 or qemu-system-arm
# (TCG, 2 CPUs, Debian's arm64 or armmp kernel) with the .deb of
# scripts/build-cross.sh ARCH, and runs tests/arm/guest_checks.py there:
# one-command mode as root (plain, gzip, TLS, a reload), the split systemd
# units, the frontend's sandbox on a real ARM kernel, a forbidden syscall
# killing the frontend, and the unit tests that need a kernel's seccomp. The
# guest's serial console comes back here; every check is an assertion, and
# the script exits non-zero unless all of them passed and the guest powered
# off by itself in time.
#
#   scripts/test-arm.sh arm64|armhf     (after scripts/build-cross.sh ARCH)
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

# shellcheck source=scripts/arm-target.sh
. scripts/arm-target.sh
# shellcheck source=scripts/install-missing.sh
. scripts/install-missing.sh
arm_target "$0" "$@"
# Debian's kernel for the machine qemu emulates (-M virt: a PL011 serial
# port, PSCI to power off).
case "$arch" in
  arm64)
    kernel=linux-image-arm64
    qemu=(qemu-system-aarch64 -M virt -cpu cortex-a57)
    ;;
  armhf)
    kernel=linux-image-armmp
    # highmem=off: the armmp kernel has no LPAE, nothing may sit above 4 GiB.
    qemu=(qemu-system-arm -M virt,highmem=off -cpu cortex-a15)
    ;;
esac
# Seconds. The checks take 2 to 4 minutes on an idle 2-core machine, boot
# included; the guest gives up on them at $guest_limit and still powers off,
# the host kills qemu at $host_limit. Either way the run fails.
guest_limit="${MMX_ARM_GUEST_TIMEOUT:-600}"
host_limit=$((guest_limit + 180))

build="build-$arch"
deb="$(ls "$build"/mm-exporter_*_"$arch".deb 2>/dev/null | head -1)"
if [ -z "$deb" ] || [ ! -x "$build/bin/unit-tests" ]; then
  echo "test-arm.sh: no $arch package in $build: run scripts/build-cross.sh $arch first" >&2
  exit 1
fi
vm="$build/vm"
mkdir -p "$vm"

SUDO="$([ "$(id -u)" -eq 0 ] || echo sudo)"
install_missing test-arm.sh qemu-system-arm qemu-user-static binfmt-support mmdebstrap cpio \
  openssl
# One program of the target runs here under binfmt: the guest's ldconfig.
enable_binfmt "$cpu"

step() { echo "test-arm.sh: $* ($SECONDS s)"; }

# --- Root file system: packages extracted, nothing run ------------------------
# The package's Depends:, what dpkg and the checks run, and the kernel. The
# tree is kept in the build directory for the next run with the same list
# (a fresh clone, as CI's, always makes it).
depends="$(dpkg-deb -f "$deb" Depends | sed 's/ *([^)]*)//g; s/ //g')"
# usr-is-merged: Debian 12's layout (/bin a link to /usr/bin, made by the
# setup hook below), which init-system-helpers asks for; the other way to it,
# usrmerge, would bring perl along.
include="base-files,base-passwd,usr-is-merged,bash,dash,coreutils,diffutils,findutils,grep"
include+=",sed,tar,gzip"
include+=",util-linux,dpkg,libc-bin,procps,systemd,dbus-daemon,python3-dbusmock"
include+=",$kernel,$depends"
# The unit tests the guest runs link a few libraries more (cpp-httplib's
# client): the packages that hold them here, through multiarch.
for lib in $("$triplet-readelf" -d "$build/bin/unit-tests" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
  owner="$(dpkg -S "/usr/lib/$triplet/$lib" "/lib/$triplet/$lib" 2>/dev/null | head -1 || true)"
  owner="${owner%%:*}"
  case ",$include," in *",$owner,"*) ;; *) [ -z "$owner" ] || include+=",$owner" ;; esac
done
rootfs="$vm/rootfs"
if [ "$(cat "$vm/rootfs.key" 2>/dev/null)" != "$include" ]; then
step "root file system (mmdebstrap --variant=extract)"
rm -rf "$rootfs" "$vm/rootfs.key" "$vm/base.cpio" "$vm/vmlinuz"
mirror="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)"
# Left out while extracting: documentation, and the kernel's modules and
# device trees (no disk, no network: the checks use loopback, seccomp and
# namespaces are built in; qemu hands the kernel its device tree). The
# kernel image is taken out of /boot below.
$SUDO mmdebstrap --quiet --arch="$arch" --variant=extract --skip=cleanup/apt/cache \
  --setup-hook=/usr/share/mmdebstrap/hooks/merged-usr/setup00.sh --include="$include" \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/lib/modules/*' --dpkgopt='path-exclude=/usr/lib/modules/*' \
  --dpkgopt='path-exclude=/usr/lib/linux-image-*' \
  bookworm "$rootfs" "${mirror:-http://deb.debian.org/debian}" >/dev/null

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
# The kernel boots from here; there is no initrd to build: the whole tree
# is the initramfs, and systemd runs from it.
cp "$rootfs"/boot/vmlinuz-* "$vm/vmlinuz"
rm -rf "$rootfs"/boot/*
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
"$triplet-strip" -o "$payload/unit-tests" "$build/bin/unit-tests"
# shellcheck source=scripts/kernel-tests.sh
. scripts/kernel-tests.sh
echo "$MMX_KERNEL_TESTS_FILTER" >"$payload/kernel-tests.filter"
"$triplet-gcc" -shared -fPIC -O2 -Wall -Werror -o "$payload/forbidden_after_accept.so" \
  tests/arm/forbidden_after_accept.c
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$payload/tls/key.pem" -out "$payload/tls/cert.pem" 2>/dev/null
# The guest powers off whatever happens (a failed install, a failing or
# hanging check, a process that outlives them): the kernel's own power-off,
# which waits for nothing. The host reads the last summary line.
cat >"$payload/run.sh" <<EOF
#!/bin/bash
power_off() {
  sleep 1  # the serial port's last lines
  echo o >/proc/sysrq-trigger
}
trap power_off EXIT
echo "MMX-GUEST: \$(uname -m) \$(uname -r), \$(nproc) CPUs"
cd /opt/mmx
if ! dpkg -i mm-exporter.deb; then
  echo "MMX-SUMMARY: 0 passed, 1 failed (dpkg -i)"
  exit 1
fi
timeout -k 10 $guest_limit python3 guest_checks.py /opt/mmx
status=\$?
echo "MMX-GUEST: the checks exited with status \$status"
# After a failure: the kernel's audit records of the processes the filter
# killed name the syscall (syscall=N; arch=c00000b7 is aarch64, 40000028
# arm). The checks' own forbidden syscalls are among them.
if [ \$status -ne 0 ]; then
  dmesg | grep 'type=1326' | sed 's/^/MMX-SECCOMP: /' | head -40
fi
if [ \$status -eq 124 ] || [ \$status -eq 137 ]; then
  echo "MMX-SUMMARY: 0 passed, 1 failed (the checks did not finish within $guest_limit s)"
fi
EOF
chmod +x "$payload/run.sh"
# SuccessAction/FailureAction: should run.sh itself not get as far as its
# trap.
cat >"$overlay/etc/systemd/system/mmx-test.service" <<EOF
[Unit]
Description=mm-exporter checks on $arch
[Service]
Type=oneshot
ExecStart=/opt/mmx/run.sh
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyAMA0
TimeoutStartSec=$((guest_limit + 60))
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
step "booting (${qemu[0]}, TCG, 2 CPUs)"
console="$vm/console.log"
rm -f "$console"
qemu_status=0
timeout "$host_limit" "${qemu[@]}" -smp 2 -m 1536 \
  -display none -monitor none -serial "file:$console" -no-reboot -nic none \
  -kernel "$vm/vmlinuz" -initrd "$vm/initrd.cpio" \
  -append "rdinit=/lib/systemd/systemd console=ttyAMA0 systemd.unit=mmx-test.service panic=-1 loglevel=4 \
systemd.show_status=error systemd.mask=systemd-udev-trigger.service systemd.mask=systemd-udevd.service" ||
  qemu_status=$?
step "guest done"

grep -a -E '^(MMX-|PASS |FAIL |\[doctest\])' "$console" || true
if grep -a -q '^FAIL ' "$console"; then
  echo "--- guest console (failures) ---"
  sed -n '/^FAIL /,/^\(PASS\|MMX-SUMMARY\)/p' "$console" | head -200
fi
summary="$(grep -a '^MMX-SUMMARY: ' "$console" | tail -1 | sed 's/^MMX-SUMMARY: //' || true)"
if [ "$qemu_status" -ne 0 ]; then
  # 124: the guest neither finished nor powered off in time.
  echo "test-arm.sh: qemu exited with status $qemu_status (124: killed after $host_limit s); the console's end:"
  tail -40 "$console"
  echo "$arch: ${summary:-0 passed}; failed: the guest did not power off by itself"
  exit 1
fi
if [ -z "$summary" ]; then
  echo "test-arm.sh: the guest printed no summary; its console:"
  tail -80 "$console"
  echo "$arch: 0 passed, 1 failed"
  exit 1
fi
echo "$arch: $summary"
case "$summary" in
  *" 0 failed"*) [ "${summary%% *}" -gt 0 ] ;;
  *) exit 1 ;;
esac
