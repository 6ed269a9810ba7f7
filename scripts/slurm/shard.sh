#!/bin/sh
#SBATCH --job-name=efbench-shard
#SBATCH --output=efbench-shard-%A_%a.out
# scripts/slurm/shard.sh — one task of a SLURM job array runs one shard of an efbench suite
# (`efbench run --shard I/N`, I the task's place in the array, N the array's size) into
# RESULTS/shard-I, RESULTS = $EF_SLURM_OUT or results/slurm/<array job id> under the
# submit directory. scripts/slurm/merge.sh, submitted with --dependency=afterok on the
# array, merges the shards with `efbench report`. README "SLURM" shows the two commands.
#
#   sbatch --array=1-N [--gres=gpu:1] scripts/slurm/shard.sh [efbench run options]
#
# On a GPU node the task runs on the GPU SLURM gave it: --device gpu:K is added (unless
# the options name a --device), K the GPU's place among the GPUs efbench sees — 0 when the
# node hides the others (cgroup ConstrainDevices: efbench sees only the task's GPUs),
# else SLURM's index of the GPU (SLURM_STEP_GPUS / SLURM_JOB_GPUS).
# A task requeued after it was killed continues its shard (--resume). Exit status: 0 when
# the shard's results were written, even when a case failed (efbench's status 1 is a
# verdict the merged report shows, not a reason to hold back the merge); else efbench's.
set -eu

: "${SLURM_ARRAY_TASK_ID:?not a task of a job array: submit with sbatch --array=1-N}"
min=${SLURM_ARRAY_TASK_MIN:-1}
count=${SLURM_ARRAY_TASK_COUNT:-$((SLURM_ARRAY_TASK_MAX - min + 1))}
index=$((SLURM_ARRAY_TASK_ID - min + 1))
submit=${SLURM_SUBMIT_DIR:-$PWD}
efbench=${EFBENCH:-$submit/build/efbench}
results=${EF_SLURM_OUT:-$submit/results/slurm/${SLURM_ARRAY_JOB_ID:-local}}
out=$results/shard-$index
[ -x "$efbench" ] || { echo "shard.sh: $efbench is not an executable (set EFBENCH)" >&2; exit 2; }

# the task's GPU, when it was given one and the options do not choose a device
device=""
case " $* " in *" --device "* | *" --device="*) ;; *)
    gpus=${SLURM_STEP_GPUS:-${SLURM_JOB_GPUS:-}}
    if [ -n "$gpus" ]; then
        mine=${gpus%%,*}
        allocated=$(echo "$gpus" | tr ',' '\n' | wc -l)
        # the most GPUs one backend lists: as many as allocated means the node hides the rest
        seen=$("$efbench" devices --json | python3 -c '
import json, sys
doc = json.load(sys.stdin)
print(max([sum(d["type"] == "gpu" for d in b.get("devices") or []) for b in doc["backends"]] + [0]))' 2>/dev/null || echo 0)
        if [ "$seen" -le "$allocated" ]; then device="gpu:0"; else device="gpu:$mine"; fi
    fi
esac

mkdir -p "$results"
if [ -f "$out/cases.jsonl" ] && [ ! -f "$out/results.json" ]; then
    set -- --resume "$out"          # requeued: its suite and options are recorded there
else
    set -- "$@" --shard "$index/$count" --out "$out"
fi
[ -n "$device" ] && set -- "$@" --device "$device"
echo "shard.sh: task $SLURM_ARRAY_TASK_ID: efbench run $*" >&2
status=0
"$efbench" run "$@" || status=$?
[ "$status" -eq 1 ] && { echo "shard.sh: shard $index/$count: a case failed (see its summary.md)" >&2; status=0; }
exit "$status"
