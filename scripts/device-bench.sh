#!/bin/sh
# scripts/device-bench.sh — the one prepared run for the GPU machine (../shared/device/):
# list the devices, tune (the Vulkan tuner also times the cooperative-matrix tiles for fp16
# and bf16), run the OpenCL and Vulkan correctness suites and the cooperative-matrix one on
# the GPU, then the gpu performance suite, whose fp16 energy (n = 8192, 16384; d = 64, 128,
# 256) runs the variant coopmat-khr next to the default, and so does bf16 where the binary
# carries the bf16 module (it needs GL_EXT_bfloat16, which Debian 13's glslc 2025.2 lacks:
# scripts/device-build.sh says which it built); what comes back lands in $OUT (at most 8
# files).
# Prepare here (the binary must carry coopmat-khr, which Debian 12's glslc cannot compile):
#                 scripts/device-build.sh && ../shared/device/pack.sh build-device/efbench
# Then call the device tool with carry [".device"] and the command
#                 . .device/env.sh; sh scripts/device-bench.sh
# and commit what is worth publishing under results/<device>/<date>/. The timeouts add up
# to 10 minutes, leaving the machine's start and one retry of a step inside the 15-minute budget.
#
# `sh scripts/device-bench.sh long` is a session of its own: suites/gpu-long.ini (n = 32768,
# 65536, 131072: the field in row blocks under the Vulkan 4 GiB binding limit, every
# workload streamed), 9 minutes; its cases.jsonl keeps what finished if time runs out.
set -u
out=${OUT:-/tmp/efbench-device}
mkdir -p "$out"
step() { echo "== $*" >&2; }

if [ "${1:-}" = long ]; then
    step devices
    efbench devices >"$out/devices.txt" 2>&1
    step gpu-long suite
    timeout 540 efbench run --suite gpu-long --backend vulkan,opencl --device gpu --max-memory 32G \
        --out "$out/gpu-long" --quiet >"$out/gpu-long.txt" 2>&1
    echo "gpu-long exit $?" >>"$out/gpu-long.txt"
    exit 0
fi

step devices
efbench devices >"$out/devices.txt" 2>&1
step tune
timeout 60 efbench tune --backend opencl,vulkan --device gpu >>"$out/devices.txt" 2>&1
# correctness first: the CI suites, on the GPU; the tensor-core path must self-check
step correctness
EF_OPENCL_MMA=require timeout 90 efbench run --suite tests/suites/opencl.ini --backend opencl --device gpu \
    --out /tmp/ef-opencl-check --quiet >"$out/check.txt" 2>&1
echo "opencl exit $?" >>"$out/check.txt"
timeout 90 efbench run --suite tests/suites/vulkan.ini --backend vulkan --device gpu \
    --out /tmp/ef-vulkan-check --quiet >>"$out/check.txt" 2>&1
echo "vulkan exit $?" >>"$out/check.txt"
# coopmat-khr (VK_KHR_cooperative_matrix): every mask, fp16 and bf16 where the driver lists them
timeout 60 efbench run --suite tests/suites/coopmat.ini --backend vulkan --device gpu \
    --out /tmp/ef-coopmat-check --quiet >>"$out/check.txt" 2>&1
echo "coopmat exit $?" >>"$out/check.txt"
# performance: the energy field at n = 8192, 16384 and the reductions
step gpu suite
timeout 300 efbench run --suite gpu --backend opencl,vulkan --device gpu --out "$out/gpu" --quiet \
    >"$out/gpu.txt" 2>&1
echo "gpu exit $?" >>"$out/gpu.txt"
