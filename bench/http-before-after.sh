#!/usr/bin/env bash
# Builds revision BEFORE (default: the parent of the commit that brought
# cpp-httplib back behind the gate) in build-before/, and this tree in build/,
# then measures both side by side (bench/http_before_after.py) into
# bench/results/http-before-after.json and bench/HTTP-BEFORE-AFTER.md.
#
#   ./bench/http-before-after.sh [BEFORE_REVISION]
set -euo pipefail
cd "$(dirname "$0")/.."
before="${1:-$(git log --format=%H -1 --grep='cpp-httplib processes every screened request again')^}"
./scripts/install-deps.sh
rm -rf build-before/src
git worktree prune
git worktree add --detach build-before/src "$before" >/dev/null
trap 'git worktree remove --force build-before/src >/dev/null 2>&1 || true' EXIT
cmake -S build-before/src -B build-before -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-before -j"$(nproc)" --target mm-exporter mm-exporter-frontend
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target mm-exporter mm-exporter-frontend
/usr/bin/python3 bench/http_before_after.py --before build-before --after build \
  --json bench/results/http-before-after.json --markdown bench/HTTP-BEFORE-AFTER.md
