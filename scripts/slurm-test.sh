#!/bin/sh
# scripts/slurm-test.sh — the SLURM scripts on a real SLURM: starts a one-node cluster
# (munged, slurmctld, slurmd on this host, Debian's slurm-wlm and munge, a minimal config
# in a scratch folder; ../shared/docs/scale.md), submits scripts/slurm/shard.sh as a job
# array running the quick suite in 3 shards and scripts/slurm/merge.sh after it
# (--dependency=afterok), waits, and checks that the merged shards hold the case set and
# verdicts of an unsharded run with the same seed. Stops every daemon it started, by the
# pids in their pid files, however it ends. Run by .ci/run (its `slurm` leg) after the
# build; uses build/efbench.
#
# Without the packages, or without root (the daemons run as root, as on a cluster), it
# skips with the reason (exit 0); under CI=true that is a failure (exit 1).
set -eu
cd "$(dirname "$0")/.."
root=$PWD
efbench=$root/build/efbench
seed=${EF_SLURM_TEST_SEED:-20261203}

skip() {
    if [ "${CI:-}" = true ]; then
        echo "slurm-test: FAILED: $1 (CI=true: this test must run)" >&2
        exit 1
    fi
    echo "slurm-test: skipped: $1" >&2
    exit 0
}
fail() {
    echo "slurm-test: FAILED: $1" >&2
    exit 1
}

for tool in munged slurmctld slurmd sbatch squeue sinfo scontrol; do
    command -v "$tool" >/dev/null 2>&1 ||
        skip "$tool is not installed (Debian packages slurm-wlm and munge: scripts/setup.sh installs them)"
done
[ "$(id -u)" -eq 0 ] || skip "the test runs slurmctld and slurmd as root, and this is uid $(id -u)"
[ -r /etc/munge/munge.key ] || skip "/etc/munge/munge.key is missing (the munge package makes it)"
[ -x "$efbench" ] || fail "$efbench is not built (meson setup build && ninja -C build)"

start=$(date +%s)
scratch=$(mktemp -d /tmp/efbench-slurm-XXXXXX)
stop_daemons() {
    for pidfile in "$scratch/slurmd.pid" "$scratch/slurmctld.pid" "$scratch/munged.pid"; do
        [ -s "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        kill "$pid" 2>/dev/null || continue
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$pid" 2>/dev/null || true
    done
}
cleanup() {
    status=$?
    stop_daemons
    if [ "$status" -ne 0 ]; then
        for log in slurmctld.log slurmd.log; do
            [ -f "$scratch/$log" ] && { echo "--- $log (last lines)" >&2; tail -n 15 "$scratch/$log" >&2; }
        done
        for out in "$scratch"/*.out; do
            [ -f "$out" ] && { echo "--- $(basename "$out")" >&2; tail -n 15 "$out" >&2; }
        done
    fi
    rm -rf "$scratch"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# munge on its own socket, so as not to meddle with one the host may run
munged --force --socket="$scratch/munge.socket" --pid-file="$scratch/munged.pid" \
    --log-file="$scratch/munged.log" --seed-file="$scratch/munged.seed" 2>"$scratch/munged.err" ||
    fail "munged did not start: $(cat "$scratch/munged.err")"

# ports away from the defaults (6817/6818) and from another copy of this test
port=$((20000 + $$ % 20000))
host=$(hostname -s)
export SLURM_CONF="$scratch/slurm.conf"
cat >"$SLURM_CONF" <<CONF
ClusterName=efbenchtest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$scratch/munge.socket
StateSaveLocation=$scratch/state
SlurmdSpoolDir=$scratch/spool
SlurmctldPidFile=$scratch/slurmctld.pid
SlurmdPidFile=$scratch/slurmd.pid
SlurmctldLogFile=$scratch/slurmctld.log
SlurmdLogFile=$scratch/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SchedulerType=sched/builtin
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=efbench Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
mkdir -p "$scratch/state" "$scratch/spool"
slurmctld -f "$SLURM_CONF" 2>"$scratch/slurmctld.err" || fail "slurmctld did not start: $(cat "$scratch/slurmctld.err")"
slurmd -f "$SLURM_CONF" 2>"$scratch/slurmd.err" || fail "slurmd did not start: $(cat "$scratch/slurmd.err")"
for i in $(seq 60); do
    state=$(sinfo -h -o %T 2>/dev/null | head -n 1)
    [ "$state" = idle ] && break
    [ "$i" -eq 60 ] && fail "the node is not idle after 30 s (sinfo: ${state:-nothing})"
    sleep 0.5
done
echo "slurm-test: one-node cluster up in $(($(date +%s) - start)) s" >&2

# the reference: the quick suite unsharded
opts="--suite quick --backend ref,cpu --no-peak --quiet --seed $seed"
# shellcheck disable=SC2086
"$efbench" run $opts --out "$scratch/whole" >"$scratch/whole.out" 2>&1 || fail "the unsharded run: $(tail -n 3 "$scratch/whole.out")"

# the two commands of the README, with the array's folder in the scratch folder
export EF_SLURM_OUT="$scratch/shards" EFBENCH="$efbench"
cd "$scratch"
# shellcheck disable=SC2086
array=$(sbatch --parsable --array=1-3 -o "$scratch/shard-%a.out" "$root/scripts/slurm/shard.sh" $opts) ||
    fail "sbatch of the array failed"
merge=$(sbatch --parsable --dependency=afterok:"$array" -o "$scratch/merge.out" "$root/scripts/slurm/merge.sh" \
    "$scratch/shards") || fail "sbatch of the merge failed"
cd "$root"
echo "slurm-test: array job $array (3 shards), merge job $merge" >&2

# wait for both; the merge never starts when a task failed (afterok): then it is pending
# with reason DependencyNeverSatisfied
for i in $(seq 600); do
    left=$(squeue -h -j "$array,$merge" -o "%i %T %r" 2>/dev/null || true)
    [ -z "$left" ] && break
    case "$left" in *DependencyNeverSatisfied*) fail "a shard failed, the merge cannot run: $left" ;; esac
    [ "$i" -eq 600 ] && fail "the jobs did not finish in 300 s: $left"
    sleep 0.5
done

for k in 1 2 3; do
    grep -q '"shard": "'$k'/3"' "$scratch/shards/shard-$k/results.json" 2>/dev/null ||
        fail "shard $k/3 wrote no results.json recording its shard"
done
[ -f "$scratch/shards/report/report.md" ] || fail "the merge job wrote no report ($(tail -n 3 "$scratch/merge.out"))"
grep -q "report: 3 files" "$scratch/merge.out" || fail "the merge did not read the 3 shards: $(head -n 2 "$scratch/merge.out")"

# the merged shards hold the case set and verdicts of the unsharded run
python3 - "$scratch/whole" "$scratch/shards" <<'PY' || fail "the merged shards differ from the unsharded run"
import collections, json, pathlib, sys

def cases(root):
    got = collections.Counter()
    for path in sorted(pathlib.Path(root).rglob("results.json")):
        doc = json.loads(path.read_text())
        devices = doc["devices"]
        for c in doc["cases"]:
            got[(devices[c["device_id"]]["backend"], c["workload"], c["variant"], c["mask"], c["precision"],
                 c["source"], c["text"], c["n"], c["d"], c["seed"], c["status"])] += 1
    return got

whole, shards = cases(sys.argv[1]), cases(sys.argv[2])
for key in sorted(set(whole) | set(shards), key=str):
    if whole[key] != shards[key]:
        print(f"slurm-test: {key}: {whole[key]} in the unsharded run, {shards[key]} in the shards", file=sys.stderr)
print(f"slurm-test: {sum(whole.values())} cases unsharded, {sum(shards.values())} in the shards", file=sys.stderr)
sys.exit(whole != shards)
PY
echo "slurm-test: passed in $(($(date +%s) - start)) s" >&2
