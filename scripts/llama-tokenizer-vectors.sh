#!/bin/sh
# scripts/llama-tokenizer-vectors.sh — regenerate tests/data/pretok/<pre>.ids and
# <pre>.pairs.ids: the ids llama.cpp's own tokenizer gives each text of
# tests/data/pretok/text.txt (separated as in llama.cpp's .inp files; one line of ids per
# text) behind pre-tokenizer <pre> (the pre-tokenizers llama.cpp ships
# no test vectors for), with GPT-2's vocabulary and with the "pairs" vocabulary: the 256
# byte symbols and every pair of them, merged in a scrambled order (tests/model_vocab_test.c
# builds the same), so pieces are cut into pairs and a moved boundary shows in the ids. Builds llama.cpp's test-tokenizer-0 once from the llama-cpp-python source
# package (scripts/fetch-llama-vocab.sh --source; needs cmake, g++ and python3-numpy; about
# 10 minutes on 2 cores) into the efbench cache; the GGUFs are written by llama.cpp's own
# gguf-py. VOCABS="pairs" (or "gpt-2") makes one kind only. A developer tool: CI does
# not run it; tests/model_vocab_test.c compares efbench
# with the committed files. Usage: scripts/llama-tokenizer-vectors.sh [PRE ...]
set -eu
cd "$(dirname "$0")/.."
say() { printf 'llama-tokenizer-vectors: %s\n' "$*" >&2; }

VOCAB=$(scripts/fetch-llama-vocab.sh --source)
LLAMA="$VOCAB/llama.cpp"
TOOL="$LLAMA/build/bin/test-tokenizer-0"
if [ ! -x "$TOOL" ]; then
    say "building llama.cpp's test-tokenizer-0 in $LLAMA/build (once)"
    cmake -S "$LLAMA" -B "$LLAMA/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_BUILD_TESTS=ON \
        -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF \
        -DGGML_NATIVE=OFF -DGGML_OPENMP=OFF -DBUILD_SHARED_LIBS=OFF >/dev/null
    cmake --build "$LLAMA/build" -j"$(nproc)" --target test-tokenizer-0 >/dev/null
fi

PY=python3 # with numpy: the .venv scripts/setup.sh makes has Debian's
[ -x .venv/bin/python3 ] && PY=.venv/bin/python3

# the pre-tokenizers of tests/model_vocab_test.c (pretok_names)
PRES=${*:-"smollm tekken deepseek-r1-qwen falcon3 smaug-bpe gpt-4o dbrx stablelm2 olmo
  codeshell exaone minerva-7b deepseek-v3 bailingmoe seed-coder grok-2 chameleon viking bloom
  jais-2 default minicpm5 exaone-moe laguna ufakzeka youtu spark2_5 granite-embed-multi-97m"}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
TEXT=tests/data/pretok/text.txt
for pre in $PRES; do
  for vocab in ${VOCABS:-gpt-2 pairs}; do
    PYTHONPATH="$LLAMA/gguf-py" "$PY" - "$VOCAB/ggml-vocab-gpt-2.gguf" "$pre" "$WORK/v.gguf" "$vocab" <<'PY'
import sys
import gguf
src, pre, dst, vocab = sys.argv[1:]
r = gguf.GGUFReader(src)
pairs = None
if vocab == "pairs":
    sym = [t for t in r.fields["tokenizer.ggml.tokens"].contents()[:256]]
    # merge ranks in a scrambled order (tests/model_vocab_test.c pairs_order: the same), so
    # the pairs BPE picks first fall anywhere, not on case or script boundaries
    order = sorted(((a, b) for a in range(256) for b in range(256)),
                   key=lambda ab: ((ab[0] * 131 + ab[1] * 197 + (ab[0] * ab[1]) % 113) % 65521,
                                   ab[0], ab[1]))
    pairs = {"tokenizer.ggml.tokens": sym + [sym[a] + sym[b] for a, b in order],
             "tokenizer.ggml.merges": [sym[a] + " " + sym[b] for a, b in order],
             "tokenizer.ggml.token_type": [1] * (256 + 256 * 256)}
w = gguf.GGUFWriter(dst, arch=str(r.fields["general.architecture"].contents()))
for name, f in r.fields.items():
    if name.startswith("GGUF.") or name == "general.architecture":
        continue
    if name == "tokenizer.ggml.pre":
        w.add_string(name, pre)
        continue
    if pairs and name in pairs:
        w.add_array(name, pairs[name])
        continue
    if pairs and name.startswith("tokenizer.ggml.") and name.endswith("_token_id"):
        continue
    t = f.types[0]
    if t == gguf.GGUFValueType.ARRAY:
        w.add_array(name, f.contents())
    elif t == gguf.GGUFValueType.STRING:
        w.add_string(name, f.contents())
    else:
        w.add_key_value(name, f.contents(), t)
if "tokenizer.ggml.pre" not in r.fields:
    w.add_string("tokenizer.ggml.pre", pre)
w.write_header_to_file()
w.write_kv_data_to_file()
w.close()
PY
    out="tests/data/pretok/$pre.ids"
    [ "$vocab" = pairs ] && out="tests/data/pretok/$pre.pairs.ids"
    : >"$WORK/ids"
    # the texts of TEXT, separated as in llama.cpp's .inp files
    "$PY" -c 'import sys
data = open(sys.argv[1], "rb").read()
for i, unit in enumerate(data.split(b"\n__ggml_vocab_test__\n")):
    open(f"{sys.argv[2]}/line{i:03d}.txt", "wb").write(unit)' "$TEXT" "$WORK"
    for f in "$WORK"/line*.txt; do
        "$TOOL" "$WORK/v.gguf" "$f" 2>/dev/null >/dev/null || { say "llama.cpp failed on $pre $f"; exit 1; }
        tr '\n' ' ' <"$f.tokcpp" | sed 's/ $//' >>"$WORK/ids"
        echo >>"$WORK/ids"
        rm -f "$f" "$f.tokcpp"
    done
    mv "$WORK/ids" "$out"
    say "wrote $out"
  done
done
