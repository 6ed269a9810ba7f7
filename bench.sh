#!/bin/sh
# bench.sh — the main job: install what is missing, build, run the default suite on every
# backend and device found, print the summary and where the results are.
# Extra arguments go to `efbench run` (e.g. ./bench.sh --suite quick --backend opencl).
set -eu
cd "$(dirname "$0")"
. scripts/setup.sh
# the default suite's real heads come from Gemma 3 270M: fetched once into the cache
model/fetch-default-model.sh >/dev/null
./build/efbench devices
exec ./build/efbench run --suite default "$@"
