#!/bin/sh
# scripts/setup.sh — install the Debian packages efbench needs when they are missing, then
# configure and build it in build/. Sourced by bench.sh and test.sh (and so by .ci/run).
# Needs root (or sudo) only when a package is missing.
set -eu

# Build: compiler, meson, the libraries. Run: OpenCL on PoCL, Vulkan on lavapipe, the
# texts and tools the real-input suites use, numpy for the peers (scripts/peers.py). CI's
# sanitizer and fuzz legs: clang with its ASan/UBSan/libFuzzer runtimes (libclang-rt-14-dev)
# and llvm-symbolizer (llvm). CI's SLURM leg (scripts/slurm-test.sh): a one-node cluster
# from slurm-wlm and munge.
PACKAGES="gcc libc6-dev pkg-config meson ninja-build git python3 python3-pip unzip
  clang libclang-rt-14-dev llvm
  libopenblas-dev liblapacke-dev libjansson-dev libinih-dev libcriterion-dev zlib1g-dev libssl-dev
  libpcre2-dev
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd libclblast-dev clinfo
  libvulkan-dev mesa-vulkan-drivers glslc vulkan-validationlayers spirv-tools
  fortunes-min debian-reference-en gnuplot-nox libxml2-utils
  debian-reference-ja debian-reference-zh-cn debian-reference-es debian-reference-fr
  debian-reference-de fortunes-ru
  python3-venv python3-numpy
  slurm-wlm munge"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup: installing Debian packages:$missing" >&2
    if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
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
