#!/bin/sh
# scripts/device-build.sh — the efbench binary for the GPU machine (../shared/device/):
# built here on Debian 12 as before, so ../shared/device/pack.sh packs the same Debian 12
# libraries (and the binary asks for no newer glibc), but with every shader compiled by
# Debian 13's glslc, run from the tree of scripts/debian13.sh through that tree's own
# loader and libraries. That glslc compiles the cooperative-matrix variant (coopmat-khr)
# that Debian 12's cannot, so the binary carries it. Output: build-device/efbench.
#   scripts/device-build.sh && ../shared/device/pack.sh build-device/efbench
# (pack.sh writes .git/info/exclude, so run it in a clone, not a git worktree.) Checked
# 2026-12-03: the packed binary, with the packed Debian 12 Vulkan loader (1.3.239), lists
# lavapipe 26.1's cooperative matrices and passes tests/suites/coopmat.ini on it.
# Needs root (for the tree, the first time). Exit 1 when the variant did not get built.
set -eu
cd "$(dirname "$0")/.."
tree=$(scripts/debian13.sh tree)
loader=$tree/lib64/ld-linux-x86-64.so.2
[ -x "$loader" ] && [ -x "$tree/usr/bin/glslc" ] ||
    { echo "device-build: no glslc in the Debian 13 tree $tree" >&2; exit 1; }
mkdir -p build-device
cat >build-device/glslc-debian13 <<EOF
#!/bin/sh
# Debian 13's glslc on this machine: the tree's loader and libraries (scripts/device-build.sh)
exec "$loader" --library-path "$tree/usr/lib/x86_64-linux-gnu:$tree/lib/x86_64-linux-gnu" "$tree/usr/bin/glslc" "\$@"
EOF
chmod +x build-device/glslc-debian13
printf "[binaries]\nglslc = '%s'\n" "$PWD/build-device/glslc-debian13" >build-device/native.ini
if [ ! -f build-device/build.ninja ]; then
    meson setup build-device --buildtype=release -Dtests=disabled \
        --native-file build-device/native.ini >build-device/setup.log
fi
ninja -C build-device efbench >/dev/null
grep -q -- "-DEF_VK_COOPMAT_KHR" build-device/build.ninja ||
    { echo "device-build: the coopmat-khr variant was not built (see build-device/setup.log)" >&2; exit 1; }
grep -h "coopmat-khr" build-device/setup.log >&2 || true
echo "build-device/efbench (coopmat-khr built by $("$PWD/build-device/glslc-debian13" --version | head -1))"
