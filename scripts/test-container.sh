#!/usr/bin/env bash
# The container image, built and run as a user of Debian 12 without Docker
# would: podman builds docker/Dockerfile from a debian:12 base made here with
# debootstrap (from the mirror apt uses), and tests/container runs it against
# the simulated ModemManager on a private bus, podman-compose runs the compose
# file's exporter and Prometheus (Debian's, in an image made here). Prints the
# image's size and start-up time. Needs root (rootful podman); run by
# scripts/test.sh. Exits non-zero when anything fails.
#
# The images stay in podman's store; the containers are removed; the base
# file systems are made afresh under build/container/ every run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "test-container.sh: needs root: the exporter's container runs as root (rootful podman)" >&2
  exit 2
fi

work="$PWD/build/container"
image=localhost/mm-exporter:test
prometheus_image=localhost/mm-exporter-test-prometheus:debian
label=io.mm-exporter.test=container
measurements="$work/measurements.json"

# This machine's limits, set for every podman command here and in the tests
# (podman-compose included), so that the commands themselves stay the ones
# the docs show: runc, as crun refuses a hybrid cgroup hierarchy; cgroupfs,
# without a systemd to ask; and rlimits no higher than the sandbox allows
# (podman would raise nofile to 1048576).
mkdir -p "$work"
cat >"$work/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
CONF
export CONTAINERS_CONF="$work/containers.conf"

cleanup() {
  podman ps -aq --filter "label=$label" | xargs -r podman rm -f -t 0 >/dev/null 2>&1 || true
  podman ps -aq --filter "label=io.podman.compose.project=mmx-container-test" |
    xargs -r podman rm -f -t 0 >/dev/null 2>&1 || true
  podman volume ls -q --filter "label=io.podman.compose.project=mmx-container-test" |
    xargs -r podman volume rm -f >/dev/null 2>&1 || true
  podman network rm -f mmx-container-test_default >/dev/null 2>&1 || true
  rm -rf "$work/debian-12" "$work/prometheus-root"
}
trap cleanup EXIT
cleanup

seconds_since() { echo $(( $(date +%s) - $1 )); }
stage_began=$(date +%s)
# Last run's images go first: re-made below, they would otherwise linger
# untagged in the store.
podman rmi -f "$image" "$prometheus_image" localhost/mm-exporter:latest docker.io/library/debian:12 \
  >/dev/null 2>&1 || true

# ---- the base image: debian:12, as the Dockerfile names it ----------------
mirror="$(sed -nE 's/^URIs:\s*(\S+).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)"
mirror="${mirror:-http://deb.debian.org/debian}"
began=$(date +%s)
echo "container: debootstrap --variant=minbase bookworm from $mirror"
if ! debootstrap --variant=minbase bookworm "$work/debian-12" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 20 "$work/debootstrap.log" >&2
  echo "test-container.sh: debootstrap failed (log: $work/debootstrap.log)" >&2
  exit 1
fi
# What apt downloaded is not part of an image; the host's sources (updates and
# security included, as in Docker's debian:12) replace debootstrap's one line.
rm -rf "$work/debian-12/var/cache/apt/archives/"*.deb "$work/debian-12/var/lib/apt/lists/"*
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  rm -f "$work/debian-12/etc/apt/sources.list"
  cp /etc/apt/sources.list.d/debian.sources "$work/debian-12/etc/apt/sources.list.d/"
fi
# As Docker's debian:12 is set up: dpkg does not fsync every file it unpacks
# (a build container is thrown away, not power-cycled) and apt fetches no
# translations.
echo force-unsafe-io >"$work/debian-12/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
echo 'Acquire::Languages "none";' >"$work/debian-12/etc/apt/apt.conf.d/docker-no-languages"
tar -C "$work/debian-12" -c . | podman import -q - docker.io/library/debian:12 >/dev/null
debootstrap_seconds=$(seconds_since "$began")

# ---- the exporter's image, as the README builds it ------------------------
began=$(date +%s)
echo "container: podman build -f docker/Dockerfile"
# As README.md builds it; --pull=never: the debian:12 above, never a
# registry's; --layers=false: no intermediate image is kept (nor needed).
if ! podman build --pull=never --layers=false -f docker/Dockerfile -t "$image" . >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log" >&2
  echo "test-container.sh: the image did not build (log: $work/build.log)" >&2
  exit 1
fi
build_seconds=$(seconds_since "$began")
size_bytes="$(podman image inspect --format '{{.Size}}' "$image")"

# ---- Prometheus from Debian's package, for the compose file's service ------
# The binary scripts/install-deps.sh installed, with its libraries, made into
# an image the way the exporter's runtime image is (docker/make-rootfs.sh).
./docker/make-rootfs.sh "$work/prometheus-root" /usr/bin/prometheus
mkdir -p "$work/prometheus-root/prometheus" "$work/prometheus-root/etc/prometheus"
tar -C "$work/prometheus-root" -c . |
  podman import -q --change 'ENTRYPOINT ["/usr/local/bin/prometheus"]' - "$prometheus_image" >/dev/null

# ---- the tests, in a network namespace of their own ------------------------
rm -f "$measurements"
status=0
MMX_CONTAINER_IMAGE="$image" MMX_PROMETHEUS_IMAGE="$prometheus_image" \
  MMX_CONTAINER_MEASUREMENTS="$measurements" \
  unshare --net -- sh -c 'ip link set lo up && exec /usr/bin/python3 -m pytest -q -ra --timeout=300 -p no:cacheprovider tests/container' ||
  status=1

startup="$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("startup_seconds", "not measured"))' \
  "$measurements" 2>/dev/null || echo "not measured")"
echo "container: image $image $(( size_bytes / 1000 )) kB ($(awk "BEGIN{printf \"%.1f\", $size_bytes/1048576}") MiB)," \
  "start-up ${startup} s (podman run -d to both modems in /metrics)," \
  "debootstrap ${debootstrap_seconds} s, build ${build_seconds} s, whole stage $(seconds_since "$stage_began") s"
exit "$status"
