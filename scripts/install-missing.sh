# shellcheck shell=bash
# install_missing WHO PACKAGE...: installs the Debian packages of the list
# that are not installed yet (apt-get, as root or through sudo), saying which
# on stderr under WHO's name; does nothing when all are. Sourced by the
# scripts that need packages (install-deps.sh and those a step adds to it).
install_missing() {
  local who="$1"
  shift
  local missing=() p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  echo "$who: installing ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}
