#!/bin/sh
#SBATCH --job-name=efbench-merge
#SBATCH --output=efbench-merge-%j.out
# scripts/slurm/merge.sh — after the job array of scripts/slurm/shard.sh, merge its shards
# with `efbench report`, which refuses (exit 2, one line) a shard missing, there twice or
# from another suite version. Submit it to run when every task succeeded:
#
#   sbatch --dependency=afterok:<array job id> scripts/slurm/merge.sh RESULTS [report options]
#
# RESULTS is the array's folder (results/slurm/<array job id>); the report goes to
# RESULTS/report unless the options give --out.
set -eu
[ $# -ge 1 ] || { echo "usage: merge.sh RESULTS [efbench report options]" >&2; exit 2; }
results=$1
shift
submit=${SLURM_SUBMIT_DIR:-$PWD}
efbench=${EFBENCH:-$submit/build/efbench}
case " $* " in *" --out "* | *" --out="*) ;; *) set -- "$@" --out "$results/report" ;; esac
exec "$efbench" report "$results" "$@"
