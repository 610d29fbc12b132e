#!/usr/bin/env bash
# Builds mm-exporter and runs it against the simulated ModemManager on a
# private D-Bus system bus: two modems, metrics on http://localhost:9539/.
# Ctrl-C stops everything.
#
#   ./scripts/demo.sh [--port N] [--scenario tests/mmsim/scenarios/FILE.json]
set -euo pipefail
cd "$(dirname "$0")/.."

port=9539
scenario=tests/mmsim/scenarios/two-modems.json
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="${2:?--port needs a number}"; shift 2 ;;
    --port=*) port="${1#--port=}"; shift ;;
    --scenario) scenario="${2:?--scenario needs a file}"; shift 2 ;;
    --scenario=*) scenario="${1#--scenario=}"; shift ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$port" in ''|*[!0-9]*) echo "demo.sh: --port wants a number, got '$port'" >&2; exit 2 ;; esac

./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target mm-exporter mm-exporter-frontend

workdir="$(mktemp -d -t mm-exporter-demo.XXXXXX)"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$workdir"
  echo "demo stopped"
}
trap cleanup EXIT INT TERM

cat >"$workdir/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$workdir/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
CONF
dbus-daemon --config-file="$workdir/bus.conf" --nofork --nopidfile &
pids+=($!)
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$workdir/system_bus_socket"
for _ in $(seq 100); do [ -S "$workdir/system_bus_socket" ] && break; sleep 0.05; done

/usr/bin/python3 tests/mmsim/mmsim.py --scenario "$scenario" >"$workdir/mmsim.out" &
pids+=($!)
for _ in $(seq 200); do grep -qx READY "$workdir/mmsim.out" 2>/dev/null && break; sleep 0.1; done
if ! grep -qx READY "$workdir/mmsim.out"; then
  echo "demo.sh: the simulated ModemManager did not start" >&2
  exit 1
fi

./build/bin/mm-exporter --web.listen-address=":$port" &
pids+=($!)

cat <<MSG

mm-exporter is running against a simulated ModemManager:
  landing page  http://localhost:$port/
  metrics       http://localhost:$port/metrics
  health        http://localhost:$port/health
  mmcli         DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS mmcli -L
Press Ctrl-C to stop.

MSG
wait "${pids[-1]}"
