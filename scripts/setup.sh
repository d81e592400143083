#!/usr/bin/env bash
# setup.sh — installs every Debian package scalefit needs (build, libraries, figures, Slurm,
# test references, example data) and builds the project in build/.
# Idempotent and non-interactive: packages already present are not fetched again, and the
# build directory is reused. Set SCALEFIT_SETUP_NO_BUILD=1 to install packages only.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

packages=(
    # build
    meson ninja-build pkg-config gcc
    # libraries
    libgsl-dev libopenblas-openmp-dev libxsmm-dev libyaml-dev zlib1g-dev nettle-dev
    # figures
    gnuplot-nox
    # distributed sweeps
    slurmctld slurmd slurm-client munge
    # references and checks in tests
    python3-torch python3-scipy python3-yaml libpng-dev clang-format
    # the Python interface (python/scalefit/)
    python3-numpy python3-pandas
    # fuzzing (libFuzzer comes with clang)
    clang
    # example data
    dataset-fashion-mnist python3.11-doc
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
    export DEBIAN_FRONTEND=noninteractive
    # The lists lock is not covered by DPkg::Lock::Timeout, so retry the update a while.
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        if "${sudo[@]}" apt-get update -q; then break; fi
        if [ "$attempt" -eq 10 ]; then echo "setup: apt-get update failed" >&2; exit 1; fi
        sleep 10
    done
    # Package scripts must not start daemons (slurm, munge): a policy-rc.d forbids it
    # for the length of the install when the machine has none.
    policy=/usr/sbin/policy-rc.d
    made_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
        "${sudo[@]}" chmod 755 "$policy"
        made_policy=1
    fi
    status=0
    "${sudo[@]}" apt-get install -y -q --no-install-recommends \
        -o DPkg::Lock::Timeout=600 "${missing[@]}" || status=$?
    if [ "$made_policy" -eq 1 ]; then "${sudo[@]}" rm -f "$policy"; fi
    if [ "$status" -ne 0 ]; then echo "setup: apt-get install failed" >&2; exit "$status"; fi
fi

if [ "${SCALEFIT_SETUP_NO_BUILD:-0}" = 1 ]; then exit 0; fi

if [ ! -f build/build.ninja ]; then
    meson setup build --buildtype=debugoptimized >&2
fi
ninja -C build >&2
