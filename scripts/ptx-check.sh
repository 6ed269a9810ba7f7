#!/bin/sh
# scripts/ptx-check.sh — compile every OpenCL program efbench builds, as it builds it, for
# NVIDIA sm_90 (the H200) without a GPU: clang turns the OpenCL C into LLVM IR, libclc
# supplies the builtins, llc writes PTX and CUDA's ptxas assembles it. It checks what a
# GPU-less machine can check: that the inline PTX of energy_mma.cl (mma.sync m16n8k16,
# f16 and bf16) is valid sm_90 PTX with the right operand types, and it prints each kernel's
# registers, stack and spills, and whether a workgroup of it fits the 65536 registers of an
# SM. clang's code is not NVIDIA's (its OpenCL compiler is NVVM), so the figures are an
# estimate; a kernel that needs a stack frame here is worth a look there.
#
# usage: scripts/ptx-check.sh [BUILD_DIR]      (default build; needs efbench built there)
# Needs: clang-14, llvm-14 (llvm-link, llc), libclc-14 (Debian) and ptxas (CUDA toolkit).
# The sources come from small runs on PoCL with EF_OPENCL_DUMP; the energy program is
# dumped for every tile candidate of backends/opencl/ocl_tune.c (GPU- and CPU-shaped: the
# autotune may try either on the GPU) in each input precision, the tensor-core program
# with its fragment emulation, which is compiled here without it (the real mma.sync).
# Exit: 0 all assembled, 1 a program failed to compile or assemble, 2 a tool is missing.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
efbench=$build/efbench
libclc=/usr/lib/clc/nvptx64--nvidiacl.bc
for tool in clang-14 llvm-link-14 llc-14 ptxas; do
    command -v $tool >/dev/null || { echo "ptx-check: $tool not found (see the header)" >&2; exit 2; }
done
[ -f $libclc ] || { echo "ptx-check: $libclc not found: apt-get install libclc-14" >&2; exit 2; }
[ -x "$efbench" ] || { echo "ptx-check: $efbench not found: build first (meson compile -C build)" >&2; exit 2; }

work=$(mktemp -d /tmp/ptx-check.XXXXXX)
# PTX_CHECK_KEEP=1 keeps the sources, PTX and ptxas reports in $work for a closer look.
if [ "${PTX_CHECK_KEEP:-0}" = 1 ]; then echo "ptx-check: keeping $work" >&2; else trap 'rm -rf "$work"' EXIT; fi
mkdir -p "$work/src" "$work/cache"
# The first run builds every program (all workloads and precisions, peaks included); the
# runs for the other tile shapes build only the energy programs (no peaks). EF_OPENCL_TUNE=0:
# nothing is timed to choose a form (the aux program holds both forms of every pass).
suite() {    # suite FILE WORKLOADS PRECISIONS
    printf '[suite]\nname = ptx-check\nseed = 1\ntarget_time = 0.001\nwarmup = 0\n' >"$1"
    printf 'min_reps = 1\nmax_reps = 1\n\n[cases c]\nsources = gaussian\nlengths = 64\n' >>"$1"
    printf 'dims = 32\nmasks = full\nprecisions = %s\nworkloads = %s\n' "$3" "$2" >>"$1"
}
suite "$work/all.ini" all "fp32, fp16, bf16"
suite "$work/energy.ini" energy "fp32, fp16, bf16"

# The candidates, "{bm, bn, bk, tm, tn, vec}" rows of cand_tiles[] in ocl_tune.c.
shapes=$(sed -n '/cand_tiles\[\] = {/,/};/p' "$here/backends/opencl/ocl_tune.c" |
         grep -o '{ *[0-9][0-9, ]*}' | tr -d '{},')
[ -n "$shapes" ] || { echo "ptx-check: no cand_tiles[] rows found in ocl_tune.c" >&2; exit 2; }
dump() {    # dump MMA TILES RUN-ARGS...: one PoCL run with EF_OPENCL_DUMP
    mma=$1 tiles=$2
    shift 2
    rm -rf "$work/run" # a new run each time (efbench refuses an --out that holds a run)
    XDG_CACHE_HOME=$work/cache EF_OPENCL_DUMP=$work/src EF_OPENCL_MMA=$mma EF_OPENCL_TUNE=0 \
    EF_OPENCL_TILES="$tiles" "$efbench" run "$@" --backend opencl --quiet --out "$work/run" \
        >"$work/run.log" 2>&1 || { echo "ptx-check: the PoCL run failed:" >&2; tail -5 "$work/run.log" >&2; return 1; }
}
# everything once, fp16/bf16 energy on the emulated tensor cores; then per shape the energy
# programs of every precision (tensor cores off)
echo "ptx-check: dumping the programs (PoCL): every workload, tensor cores emulated" >&2
dump emulate "$(echo "$shapes" | head -1)" --suite "$work/all.ini" || exit 1
echo "$shapes" | while read -r bm bn bk tm tn vec; do
    form=energy.cl; [ "$vec" = 1 ] && form=energy_vec.cl; [ "$vec" = 2 ] && form=energy_cpu.cl
    echo "ptx-check: dumping the programs (PoCL), tiles $bm x $bn x $bk / $tm x $tn of $form" >&2
    dump 0 "$bm $bn $bk $tm $tn $vec" --suite "$work/energy.ini" --no-peak || exit 1
done || exit 1

status=0
printf '%-34s %-26s %5s %6s %6s %6s %s\n' program kernel regs stack spill smem "fits (wg x regs <= 65536)"
for src in "$work"/src/*.cl; do
    name=$(basename "$src" .cl)
    opts=$(sed -n '1s|^// options: ||p' "$src" | sed 's/-DEF_MMA_EMULATE=1//')
    wg=""
    case $name in     # threads per workgroup: energy (bm/tm)(bn/tn) or GI, the mma kernel 256
        energy*cpu*) wg=$(echo "$opts" | sed 's/.*-DGI=\([0-9]*\).*/\1/') ;;
        energy*) wg=$(echo "$opts" | sed 's/.*-DBM=\([0-9]*\) -DBN=\([0-9]*\) .*-DTM=\([0-9]*\) -DTN=\([0-9]*\).*/\1 \2 \3 \4/' |
                      { read -r bm bn tm tn; echo $(( (bm / tm) * (bn / tn) )); }) ;;
        mma*) wg=256; name=mma ;;
    esac
    base=$work/$name
    # shellcheck disable=SC2086  # opts is a list of options
    if ! clang-14 -x cl -target nvptx64-nvidia-nvcl -Xclang -target-cpu -Xclang sm_80 \
            -include /usr/lib/clang/14/include/opencl-c.h -fgnu-keywords $opts -O2 \
            -emit-llvm -c -o "$base.bc" "$src" 2>"$base.err" ||
       ! llvm-link-14 --only-needed "$base.bc" $libclc -o "$base.linked.bc" 2>>"$base.err" ||
       ! llc-14 -mcpu=sm_80 -mattr=+ptx70 -O2 "$base.linked.bc" -o "$base.ptx" 2>>"$base.err"; then
        echo "FAIL $name: did not compile to PTX:"; grep -v "different target triples" "$base.err" | head -20
        status=1; continue
    fi
    # sm_80 PTX is valid sm_90 PTX; ptxas then assembles it for the H200.
    sed -i 's/^\.version .*/.version 8.0/; s/^\.target .*/.target sm_90/' "$base.ptx"
    if ! ptxas -arch=sm_90 -v -o "$base.o" "$base.ptx" >"$base.info" 2>&1; then
        echo "FAIL $name: ptxas rejected it:"; grep -v "^ptxas info" "$base.info" | head -20
        status=1; continue
    fi
    awk -v prog="$name" -v wg="$wg" '
        /Compiling entry function/ { k = $0; sub(/.*function .\047?/, "", k); sub(/\047 for.*/, "", k) }
        /bytes stack frame/ { stack = $1; spill = $5 + $9 }
        /Used [0-9]+ registers/ {
            for (i = 1; i <= NF; i++) { if ($(i + 1) == "registers,") r = $i; if ($(i + 1) == "bytes" && $(i + 2) == "smem") s = $i }
            fits = wg == "" ? "-" : (r * wg <= 65536 ? "yes (" wg " x " r ")" : "NO (" wg " x " r ")")
            printf "%-34s %-26s %5s %6s %6s %6s %s\n", prog, k, r, stack, spill, s, fits
        }' "$base.info"
    grep -q "mma.sync" "$base.ptx" && [ "$name" = mma ] &&
        echo "  mma: $(grep -c 'mma.sync.aligned.m16n8k16' "$base.ptx") mma.sync.aligned.m16n8k16 instructions assembled for sm_90"
done
exit $status
