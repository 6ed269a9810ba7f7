#!/bin/sh
# scripts/sanitize.sh [meson test options] — build efbench with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer in build-asan/ (once; then incrementally) and run the unit, cpu,
# model, opencl and vulkan suites there. Any sanitizer report fails the leg: ASan and UBSan
# abort, LeakSanitizer exits non-zero at the end of a program, and the log is searched for
# reports a test did not fail on. scripts/lsan.supp may silence leaks inside the driver
# libraries only. Called by .ci/run; with CI=true a backend without a device fails, as in
# test.sh.
set -eu
cd "$(dirname "$0")/.."
if [ ! -f build-asan/build.ninja ]; then
    CC=clang meson setup build-asan --buildtype=debugoptimized \
        -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C build-asan >/dev/null
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
# instrumented code runs a few times slower: the suites' timeouts scale with it
status=0
meson test -C build-asan --print-errorlogs --timeout-multiplier 4 \
    --suite unit --suite cpu --suite model --suite opencl --suite vulkan "$@" || status=$?
# A leak in a Criterion worker is reported when the worker exits, after its test passed,
# and does not fail it: every report in the log fails the leg. (efbench's own runs in the
# tests fail by their exit status.)
log=build-asan/meson-logs/testlog.txt
if grep -q -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$log"; then
    echo "sanitize: sanitizer reports in $log:" >&2
    grep -E -A16 "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$log" | head -80 >&2
    status=1
fi
exit $status
