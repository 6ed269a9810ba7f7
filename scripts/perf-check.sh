#!/bin/sh
# scripts/perf-check.sh — the performance-portability figures against their targets: runs a
# suite (suites/perf.ini) with efbench on every backend found here, each backend alone (so
# that PoCL's threads and OpenBLAS's do not compete), plus the numpy/PyTorch peers
# (scripts/peers.py), and prints for each target the measured value, the target and
# "met" or "not met". Ratios are taken within one run (a backend's figure against its
# device's peak measured at the start of that run, or against the peer measured right
# after it); with --runs N every figure is the median over N rounds, min and max beside.
# It asserts nothing: exit 0 when it ran (whatever was met), 2 on usage errors. Timings on
# a shared machine are noisy: read the spread, and rerun before believing a figure.
set -eu

usage() {
    cat >&2 <<EOF
usage: scripts/perf-check.sh [--suite NAME] [--runs N] [--backend LIST] [--no-peers]
                             [--build DIR] [--out DIR]
  --suite NAME|FILE  efbench suite with the energy (full, causal, window:128) and pass cases [perf]
  --runs N           rounds of every run; figures are medians over the rounds [1]
  --backend LIST     comma list of cpu, opencl, vulkan [those efbench devices finds]
  --no-peers         skip scripts/peers.py (the numpy target is then not measured)
  --build DIR        efbench's build folder [build]
  --out DIR          where the runs' results go [results/local/perf-check-<UTC time>]
EOF
    exit 2
}

cd "$(dirname "$0")/.."
suite=perf runs=1 backends="" peers=1 build=build
out="results/local/perf-check-$(date -u +%Y%m%dT%H%M%SZ)"
while [ $# -gt 0 ]; do
    case "$1" in
    --suite) [ $# -ge 2 ] || usage; suite=$2; shift 2 ;;
    --runs) [ $# -ge 2 ] || usage; runs=$2; shift 2 ;;
    --backend) [ $# -ge 2 ] || usage; backends=$(echo "$2" | tr ',' ' '); shift 2 ;;
    --no-peers) peers=0; shift ;;
    --build) [ $# -ge 2 ] || usage; build=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    -h | --help) usage ;;
    *) echo "perf-check: unknown option $1" >&2; usage ;;
    esac
done
case "$runs" in '' | *[!0-9]* | 0) echo "perf-check: --runs wants a positive number, not '$runs'" >&2; exit 2 ;; esac
efbench=$build/efbench
[ -x "$efbench" ] || { echo "perf-check: no $efbench (build first: meson setup $build && ninja -C $build)" >&2; exit 2; }
python=$(command -v python3 || true)
[ -n "$python" ] || { echo "perf-check: python3 is needed to read results.json" >&2; exit 2; }

# The backends with a device, unless named.
if [ -z "$backends" ]; then
    backends=$("$efbench" devices --json | "$python" -c '
import json, sys
for b in json.load(sys.stdin)["backends"]:
    if b["name"] in ("cpu", "opencl", "vulkan") and b["devices"]:
        print(b["name"])' | tr '\n' ' ')
fi
for b in $backends; do
    case "$b" in cpu | opencl | vulkan) ;; *) echo "perf-check: unknown backend '$b' (cpu, opencl, vulkan)" >&2; exit 2 ;; esac
done

# The peers need numpy: Debian's interpreter has it (python3-numpy), a pyenv one may not.
peer_python=""
if [ "$peers" = 1 ]; then
    for p in /usr/bin/python3 python3; do
        if "$p" -c 'import numpy' 2>/dev/null; then peer_python=$p; break; fi
    done
    [ -n "$peer_python" ] || echo "perf-check: no python3 with numpy (apt-get install python3-numpy): peers skipped" >&2
fi

mkdir -p "$out"
echo "perf-check: suite $suite, backends: $backends, $runs round(s), results in $out"
r=1
while [ "$r" -le "$runs" ]; do
    for b in $backends; do
        echo "round $r: efbench run --backend $b" >&2
        "$efbench" run --suite "$suite" --backend "$b" --out "$out/round$r/$b" --quiet >/dev/null 2>"$out/round$r-$b.log" ||
            echo "perf-check: efbench run --backend $b exited $? (see $out/round$r-$b.log)" >&2
    done
    if [ -n "$peer_python" ]; then
        echo "round $r: scripts/peers.py" >&2
        check=""
        [ -d "$out/round$r/cpu" ] && check="--check $out/round$r/cpu"
        "$peer_python" scripts/peers.py --suite "$suite" --out "$out/round$r/peers" --quiet $check \
            2>"$out/round$r-peers.log" || echo "perf-check: peers.py exited $? (see $out/round$r-peers.log)" >&2
    fi
    r=$((r + 1))
done

"$python" - "$out" "$runs" $backends <<'EOF'
import json, os, statistics, sys

out, runs, backends = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

def load(path):
    try:
        with open(os.path.join(path, "results.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

def case(doc, workload, mask="full", precision="fp32"):
    """The default kernel's timed case, with its device."""
    for c in (doc or {}).get("cases", []):
        if (c["workload"], c["mask"], c["precision"]) == (workload, mask, precision) \
                and c["variant"] is None and c["time_ms"]:
            return c, doc["devices"][c["device_id"]]
    return None, None

def ms(doc, workload, mask="full", precision="fp32"):
    c, _ = case(doc, workload, mask, precision)
    return c["time_ms"]["median"] if c else None

def of_peak(doc, workload, kind, mask="full", precision="fp32"):
    c, dev = case(doc, workload, mask, precision)
    if not c or not dev.get("peak_" + kind) or c.get(kind) is None:
        return None
    return c[kind] / dev["peak_" + kind]

def div(a, b):
    return a / b if a is not None and b else None

# (label, function of one round -> value, target, ">=" or "<=", unit)
targets = []
floors = {"opencl": [("fp32", 0.50), ("fp16", 0.40), ("bf16", 0.40)], "vulkan": [("fp32", 0.40)],
          "cpu": [("fp32", 0.80)]}
for b in backends:
    for prec, floor in floors.get(b, []):
        peak = "sgemm peak" if b == "cpu" else "FMA peak"
        targets.append(("%s energy %s full / %s" % (b, prec, peak),
                        lambda R, b=b, p=prec: of_peak(R[b], "energy", "gflops", "full", p), floor, ">=", "%"))
    if b == "cpu":
        targets.append(("cpu energy fp32 full vs numpy two-pass (speed-up)",
                        lambda R: div(ms(R["peers"], "energy"), ms(R["cpu"], "energy")), 1.5, ">=", "x"))
for b in backends:
    targets.append(("%s energy fp32 causal / full (time)" % b,
                    lambda R, b=b: div(ms(R[b], "energy", "causal"), ms(R[b], "energy")), 0.55, "<=", "x"))
    targets.append(("%s energy fp32 window:128 / full (time)" % b,
                    lambda R, b=b: div(ms(R[b], "energy", "window:128"), ms(R[b], "energy")), 0.15, "<=", "x"))
for b in backends:
    for w in ("rowsum", "colenergy"):
        targets.append(("%s %s / copy bandwidth" % (b, w),
                        lambda R, b=b, w=w: of_peak(R[b], w, "gbps"), 0.60, ">=", "%"))
for b in backends:
    if b != "cpu" and "cpu" in backends:
        for w in ("gram", "leverage"):
            targets.append(("%s %s time / cpu's (runs apart)" % (b, w),
                            lambda R, b=b, w=w: div(ms(R[b], w), ms(R["cpu"], w)), 1.0, "<=", "x"))

rounds = [{b: load(os.path.join(out, "round%d" % r, b)) for b in backends + ["peers"]}
          for r in range(1, runs + 1)]

# What each round measured, beside the peaks of that same run.
for r, R in enumerate(rounds, 1):
    for b in backends:
        c, dev = case(R[b], "energy")
        if not dev:
            print("round %d  %-7s no energy fp32 full case (see the run's log)" % (r, b))
            continue
        line = "round %d  %-7s peak %s GFLOP/s, %s GB/s;" % (r, b, "%.1f" % dev["peak_gflops"] if dev["peak_gflops"] else "-",
                                                             "%.1f" % dev["peak_gbps"] if dev["peak_gbps"] else "-")
        for m in ("full", "causal", "window:128"):
            t = ms(R[b], "energy", m)
            line += " %s %s ms" % (m, "%.2f" % t if t else "-")
        print(line)
    t = ms(R["peers"], "energy")
    if t:
        dev = R["peers"]["devices"][0]
        print("round %d  %-7s %s: full %.2f ms" % (r, dev["backend"], dev["driver_version"], t))

def show(v, unit):
    return "-" if v is None else "%.0f%%" % (100 * v) if unit == "%" else "%.2fx" % v

print("\n%-50s %26s %9s  %s" % ("target", "measured (min..max)", "target", "result"))
met = 0
for label, fn, goal, op, unit in targets:
    vals = []
    for R in rounds:
        try:
            v = fn(R)
        except (KeyError, TypeError, IndexError):
            v = None
        if v is not None:
            vals.append(v)
    if not vals:
        print("%-50s %26s %9s  %s" % (label, "-", op + " " + show(goal, unit), "not measured"))
        continue
    v = statistics.median(vals)
    ok = v >= goal if op == ">=" else v <= goal
    met += ok
    spread = " (%s..%s)" % (show(min(vals), unit), show(max(vals), unit)) if len(vals) > 1 else ""
    print("%-50s %26s %9s  %s" % (label, show(v, unit) + spread, op + " " + show(goal, unit),
                                  "met" if ok else "not met"))
print("\n%d of %d targets met; medians over %d round(s); results in %s" % (met, len(targets), runs, out))
EOF
"$efbench" report "$out" --out "$out/report" >/dev/null 2>&1 && echo "merged report: $out/report/report.md" || true
exit 0
