#!/bin/sh
# scripts/llama-logits-check.sh — where llama.cpp runs the tiny GGUFs of tests/tiny_arch.py
# (qwen3, gemma2, phi3, a Mistral-style llama), its logits must match the float64 numpy
# pass that tests/model_arch_test.c ties efbench to (within a float32 bound): builds
# scripts/llama-logits.c against llama.cpp's library from the llama-cpp-python source
# package (scripts/llama-tokenizer-vectors.sh builds it once; cmake, g++) and compares
# within 5e-2 (llama.cpp's Q8_0 activations and f16 K/V; tests/tiny_arch.py says why).
# llama.cpp ignores a llama file's sliding window, so the Mistral file is compared both at
# n <= w (equal) and at n > w with the window dropped from the reference. A developer
# check, not run by CI. Exit status 0 when every comparison holds.
set -eu
cd "$(dirname "$0")/.."
VOCAB=$(scripts/fetch-llama-vocab.sh --source)
LLAMA="$VOCAB/llama.cpp"
[ -f "$LLAMA/build/src/libllama.a" ] || scripts/llama-tokenizer-vectors.sh smollm >/dev/null
PY=python3
[ -x .venv/bin/python3 ] && PY=.venv/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
B="$LLAMA/build"
gcc -O1 -I"$LLAMA/include" -I"$LLAMA/ggml/include" -o "$WORK/llama-logits" scripts/llama-logits.c \
    "$B/src/libllama.a" "$B/ggml/src/libggml.a" "$B/ggml/src/libggml-cpu.a" \
    "$B/ggml/src/libggml-base.a" -lstdc++ -lm -lpthread
IDS="72 101 108 108 111 32 119 111 114 108 100 33 10 84" # "Hello world!\nT", 14 > w = 5
status=0
check() { # ARCH WINDOW IDS...
    arch=$1 window=$2
    shift 2
    "$PY" tests/tiny_arch.py write "$arch" "$WORK/$arch.gguf" 4242
    "$WORK/llama-logits" "$WORK/$arch.gguf" "$@" >"$WORK/$arch.txt" 2>/dev/null
    "$PY" tests/tiny_arch.py llama "$WORK/$arch.gguf" "$WORK/$arch.txt" "$window" "$@" || status=1
}
for arch in qwen3 gemma2 phi3; do check "$arch" 1 $IDS; done
check mistral 1 72 101 108 108 111
check mistral 0 $IDS
exit $status
