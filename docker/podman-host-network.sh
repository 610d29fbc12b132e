#!/bin/sh
# podman, as Debian 12's podman-compose (1.0.3) should call it for
# docker-compose.yml: that version gives every service its project network
# ("--net PROJECT_default --network-alias SERVICE"), a service with
# network_mode: host too, and podman refuses both at once ("cannot set
# multiple networks without bridge network mode"). With "--network host"
# among the arguments, this drops those two options; it changes nothing else.
#
#   sudo podman-compose --podman-path docker/podman-host-network.sh \
#     -f docker/docker-compose.yml up -d --build
set -eu

host_network=false
previous=""
for arg in "$@"; do
  if [ "$previous" = "--network" ] && [ "$arg" = "host" ]; then host_network=true; fi
  previous="$arg"
done
if ! "$host_network"; then
  exec podman "$@"
fi

# Rebuild the argument list without "--net X" and "--network-alias X".
skip_value=false
for arg do
  shift
  if "$skip_value"; then
    skip_value=false
  elif [ "$arg" = "--net" ] || [ "$arg" = "--network-alias" ]; then
    skip_value=true
  else
    set -- "$@" "$arg"
  fi
done
exec podman "$@"
