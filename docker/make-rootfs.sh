#!/usr/bin/env bash
# Makes ROOT a file system that holds only the given programs, in
# /usr/local/bin (stripped), the shared libraries they load, where ldd finds
# them (the dynamic loader included), and, with --user, an /etc/passwd and
# /etc/group naming root and that user as this system has them. The library
# list is whatever the programs link today: nothing here names a library.
#
#   make-rootfs.sh [--user NAME] ROOT PROGRAM...
set -euo pipefail

die() { echo "make-rootfs.sh: $*" >&2; exit 2; }

user=""
while [ $# -gt 0 ]; do
  case "$1" in
    --user) user="${2:?--user needs a name}"; shift 2 ;;
    --user=*) user="${1#--user=}"; shift ;;
    -*) die "unknown flag $1" ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || die "usage: make-rootfs.sh [--user NAME] ROOT PROGRAM..."
root="$1"
shift

mkdir -p "$root/usr/local/bin"
for program in "$@"; do
  [ -x "$program" ] || die "$program is not an executable file"
  install -m 0755 -s "$program" "$root/usr/local/bin/$(basename "$program")"
  # ldd prints "libx.so.1 => /path (0x...)", the loader as "/path (0x...)",
  # and the vDSO without a path.
  ldd_out="$(ldd "$program")" || die "ldd $program failed (is it dynamically linked?)"
  if grep -q "=> not found" <<<"$ldd_out"; then
    die "$program needs a library that is not installed: $(grep "=> not found" <<<"$ldd_out" | tr -s ' \t' ' ')"
  fi
  while read -r library; do
    mkdir -p "$root$(dirname "$library")"
    cp -L "$library" "$root$library"
  done < <(sed -nE 's@^\s*(\S+ => )?(/\S+) \(0x[0-9a-f]+\)$@\2@p' <<<"$ldd_out")
done

if [ -n "$user" ]; then
  mkdir -p "$root/etc"
  for db in passwd group; do
    grep -E "^(root|$user):" "/etc/$db" >"$root/etc/$db" || true
    [ "$(grep -c "^$user:" "$root/etc/$db")" = 1 ] || die "no $user in /etc/$db"
    chmod 0644 "$root/etc/$db"
  done
fi
