#!/bin/sh
# scripts/setup.sh — install the Debian packages efbench needs when they are missing, then
# configure and build it in build/. Sourced by bench.sh and test.sh (and so by .ci/run).
# Debian 12 (bookworm) and 13 (trixie) are supported; both take the package names below.
# Needs root (or sudo) only when a package is missing. It never edits the apt sources.
set -eu

# Build: compiler, meson, the libraries. Run: OpenCL on PoCL, Vulkan on lavapipe, the
# texts and tools the real-input suites use, numpy for the peers (scripts/peers.py);
# debootstrap for CI's Debian 13 leg (scripts/debian13.sh). CI's sanitizer and fuzz legs:
# clang with its ASan/UBSan/libFuzzer runtimes (libclang-rt-dev, the default clang's: 14 on
# Debian 12, 19 on Debian 13) and llvm-symbolizer (llvm); EF_SETUP_SANITIZERS=no leaves
# those out (the Debian 13 leg runs ./test.sh alone, and they are the largest download).
# CI's SLURM leg (scripts/slurm-test.sh): a one-node cluster from slurm-wlm and munge.
PACKAGES="gcc libc6-dev pkg-config meson ninja-build git python3 python3-pip unzip
  libopenblas-dev liblapacke-dev libjansson-dev libinih-dev libcriterion-dev zlib1g-dev libssl-dev
  libpcre2-dev
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd libclblast-dev clinfo
  libvulkan-dev mesa-vulkan-drivers glslc vulkan-validationlayers spirv-tools
  fortunes-min debian-reference-en gnuplot-nox libxml2-utils
  debian-reference-ja debian-reference-zh-cn debian-reference-es debian-reference-fr
  debian-reference-de fortunes-ru
  python3-venv python3-numpy debootstrap
  slurm-wlm munge"
[ "${EF_SETUP_SANITIZERS:-yes}" = no ] || PACKAGES="$PACKAGES clang libclang-rt-dev llvm clang-format"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup: installing Debian packages:$missing" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Debian 13: lavapipe runs the cooperative-matrix variant (coopmat-khr) from Mesa 26.1 on,
# which trixie-backports has (trixie's own 25.0 lists no cooperative matrices). Where that
# suite is among the apt sources, its mesa-vulkan-drivers is installed; elsewhere the
# variant's tests skip, and this says how to enable it.
if [ "$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")" = trixie ]; then
    have=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
    bpo=$(apt-cache madison mesa-vulkan-drivers 2>/dev/null |
          awk -F'|' '/trixie-backports/ {gsub(/ /, "", $2); print $2; exit}')
    if [ -n "$bpo" ] && dpkg --compare-versions "$have" lt "$bpo"; then
        echo "setup: installing mesa-vulkan-drivers $bpo from trixie-backports (lavapipe with cooperative matrices)" >&2
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
            -t trixie-backports mesa-vulkan-drivers >/dev/null
    elif [ -z "$bpo" ] && dpkg --compare-versions "$have" lt 26.1; then
        echo "setup: Mesa $have's lavapipe has no cooperative matrices; add trixie-backports to the apt sources for Mesa 26.1 to run coopmat-khr" >&2
    fi
fi

# A test tool from PyPI: the `gguf` package, whose writer, quantisers and dequantiser make
# the independent float64 reference of tests/tiny_arch.py, in .venv beside Debian's numpy.
# Without it those tests skip (fail under CI=true).
if ! .venv/bin/python3 -c 'import numpy, gguf' 2>/dev/null; then
    PY=/usr/bin/python3
    [ -x "$PY" ] || PY=python3
    rm -rf .venv
    { "$PY" -m venv --system-site-packages .venv &&
      .venv/bin/pip install --quiet --disable-pip-version-check gguf==0.19.0; } >&2 ||
        echo "setup: could not install the gguf package into .venv; tests/tiny_arch.py's tests will skip" >&2
fi

if [ ! -f build/build.ninja ]; then
    meson setup build --buildtype=release >/dev/null
fi
ninja -C build >/dev/null
