#!/bin/sh
# scripts/setup.sh — install the Debian packages efbench needs when they are missing, then
# configure and build it in build/. Sourced by bench.sh and test.sh (and so by .ci/run).
# Needs root (or sudo) only when a package is missing.
set -eu

# Build: compiler, meson, the libraries. Run: OpenCL on PoCL, Vulkan on lavapipe, the
# texts and tools the real-input suites use. CI's sanitizer and fuzz legs: clang with its
# ASan/UBSan/libFuzzer runtimes (libclang-rt-14-dev) and llvm-symbolizer (llvm).
PACKAGES="gcc libc6-dev pkg-config meson ninja-build git python3 python3-pip unzip
  clang libclang-rt-14-dev llvm
  libopenblas-dev liblapacke-dev libjansson-dev libinih-dev libcriterion-dev zlib1g-dev libssl-dev
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd libclblast-dev clinfo
  libvulkan-dev mesa-vulkan-drivers glslc vulkan-validationlayers spirv-tools
  fortunes-min debian-reference-en gnuplot-nox libxml2-utils"

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

if [ ! -f build/build.ninja ]; then
    meson setup build --buildtype=release >/dev/null
fi
ninja -C build >/dev/null
