#!/bin/sh
# scripts/fuzz.sh TARGET SECONDS [LIBFUZZER OPTIONS...] — build the libFuzzer targets of
# tests/fuzz/ with clang, ASan and UBSan in build-fuzz/ (once), then run TARGET (gguf,
# safetensors, suite, results, tokenizer, or `all`, one after the other) for SECONDS on its
# seed corpus and dictionary. New inputs go to build-fuzz/corpus/TARGET (kept between
# runs), a crash, leak or timeout (10 s an input) to build-fuzz/artifacts/ and exit status 1
# (every target still runs).
# CI runs `scripts/fuzz.sh all 60`.
set -eu
cd "$(dirname "$0")/.."
TARGETS="gguf safetensors suite results tokenizer"
if [ $# -lt 2 ]; then
    echo "usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer options]   (TARGET: $TARGETS, all)" >&2
    exit 2
fi
target=$1 seconds=$2
shift 2
case " $TARGETS all " in *" $target "*) ;; *) echo "fuzz.sh: unknown target '$target' ($TARGETS, all)" >&2; exit 2 ;; esac
if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang meson setup build-fuzz --buildtype=debugoptimized -Dfuzz=enabled \
        -Db_sanitize=address,undefined -Db_lundef=false \
        -Dtests=disabled -Dopencl=disabled -Dvulkan=disabled >/dev/null
fi
[ "$target" = all ] && list=$TARGETS || list=$target
ninja -C build-fuzz $(for t in $list; do printf 'tests/fuzz/fuzz_%s ' "$t"; done) >/dev/null
mkdir -p build-fuzz/artifacts
# UBSan findings abort like ASan's; leaks are findings
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
# libFuzzer's progress goes to build-fuzz/logs/TARGET.log (tail -f it on a long run); here,
# one line a target, and the end of its log when it found something.
mkdir -p build-fuzz/logs
status=0
for t in $list; do
    mkdir -p "build-fuzz/corpus/$t"
    log="build-fuzz/logs/$t.log"
    echo "fuzz: $t for $seconds s (log: $log)" >&2
    rc=0
    build-fuzz/tests/fuzz/fuzz_"$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -dict="tests/fuzz/$t.dict" -artifact_prefix="build-fuzz/artifacts/$t-" -print_final_stats=1 \
        "$@" "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    if [ "$rc" -eq 0 ]; then
        echo "fuzz: $t: ${runs:-?} executions (${rate:-?}/s), nothing found" >&2
    elif [ "$rc" -eq 72 ] && ! ls build-fuzz/artifacts/"$t"-* >/dev/null 2>&1; then
        # libFuzzer's exit on SIGINT/SIGTERM, with no artifact written: a stop, not a finding
        echo "fuzz: $t: interrupted after ${runs:-?} executions (${rate:-?}/s), nothing found" >&2
        status=1
    else
        echo "fuzz: $t FAILED (exit $rc) after ${runs:-?} executions; the end of $log:" >&2
        tail -n 60 "$log" >&2
        status=1
    fi
done
exit $status
