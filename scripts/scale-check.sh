#!/bin/sh
# scripts/scale-check.sh — how the time and memory of a long-context run grow with n: runs
# suites/long.ini one length at a time (cpu backend unless BACKEND says, under
# --max-memory $MAX_MEMORY, default 3G), records each run's wall time, CPU time (user +
# system: less moved than the wall clock by other work on a shared machine) and peak RSS
# (GNU time), fits the log-log slope of both times against n (2 when the cost is n^2) and
# plots them with gnuplot when it is installed.
#   scripts/scale-check.sh OUT [LENGTHS...]     (default 4096 8192 16384 32768 65536)
# Writes OUT/n<N>/ (each run's results), OUT/scaling.csv, OUT/scaling.svg; prints the slope.
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: scripts/scale-check.sh OUT [LENGTHS...]" >&2; exit 2; }
out=$1
shift
[ $# -gt 0 ] || set -- 4096 8192 16384 32768 65536
command -v /usr/bin/time >/dev/null || { echo "scale-check: GNU time (/usr/bin/time) is missing" >&2; exit 2; }
mkdir -p "$out"
echo "n,seconds,cpu_seconds,peak_rss_bytes,pass,fail,unsupported,error" >"$out/scaling.csv"
for n in "$@"; do
    sed "s/^lengths = .*/lengths = $n/" suites/long.ini >"$out/long-$n.ini"
    rm -rf "$out/n$n"
    status=0
    /usr/bin/time -f "%e %U %S %M" -o "$out/time-$n.txt" build/efbench run --suite "$out/long-$n.ini" \
        --backend "${BACKEND:-cpu}" --no-peak --quiet --max-memory "${MAX_MEMORY:-3G}" --out "$out/n$n" \
        >"$out/log-$n.txt" 2>&1 || status=$?
    [ "$status" -le 1 ] || { echo "scale-check: n = $n: exit $status: $(tail -n 1 "$out/log-$n.txt")" >&2; exit 1; }
    read -r secs user sys kb <"$out/time-$n.txt"
    cpu=$(echo "$user $sys" | awk '{print $1 + $2}')
    counts=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(",".join(str(s[k]) for k in ("pass","fail","unsupported","error")))' "$out/n$n/results.json")
    echo "$n,$secs,$cpu,$((kb * 1024)),$counts" >>"$out/scaling.csv"
    echo "scale-check: n = $n: $secs s ($cpu s CPU), peak RSS $((kb / 1024)) MiB ($counts pass,fail,unsupported,error)" >&2
done
python3 - "$out/scaling.csv" <<'PY'
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
x = [math.log(float(r["n"])) for r in rows]
for col, what in (("seconds", "wall time"), ("cpu_seconds", "CPU time")):
    y = [math.log(float(r[col])) for r in rows]
    mx, my = sum(x) / len(x), sum(y) / len(y)
    slope = sum((a - mx) * (b - my) for a, b in zip(x, y)) / sum((a - mx) ** 2 for a in x)
    print(f"scale-check: log-log slope of {what} against n: {slope:.3f} (n^2: 2)")
PY
if command -v gnuplot >/dev/null; then
    gnuplot <<GP
set terminal svg size 720,440
set output "$out/scaling.svg"
set datafile separator ","
set logscale xy 2
set xlabel "n (tokens)"
set ylabel "time of the run (s)"
set y2label "peak RSS (GB)"
set y2tics
set logscale y2 2
set key left top
set title "suites/long.ini one length at a time: time against n (n^2 line through the largest)"
f(x) = T * (x / N) ** 2
stats "$out/scaling.csv" using 1:2 nooutput
N = STATS_max_x
T = STATS_max_y
plot "$out/scaling.csv" using 1:2 with linespoints title "wall time", \
     "$out/scaling.csv" using 1:3 with linespoints title "CPU time", f(x) with lines dashtype 2 title "n^2", \
     "$out/scaling.csv" using 1:(\$4/1e9) axes x1y2 with linespoints title "peak RSS (GB)"
GP
fi
