#!/usr/bin/env bash
# From a fresh Debian 12 / Ubuntu checkout to a first snapshot: installs the
# missing build packages, builds into build/, captures this machine into
# build/snapshot.kms and shows it. Safe to run again: nothing is reinstalled
# and the build is incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/deps.sh --build
cmake -S . -B build
cmake --build build -j"$(nproc)"

# Without root some sources (slabinfo, other users' processes) are unreadable;
# the snapshot records them as unavailable instead of failing.
build/cli/kmemsnap capture -o build/snapshot.kms
build/cli/kmemsnap show build/snapshot.kms
