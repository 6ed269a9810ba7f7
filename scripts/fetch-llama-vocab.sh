#!/bin/sh
# scripts/fetch-llama-vocab.sh — llama.cpp's tokenizer test vectors for efbench's tests:
# the vocabulary-only GGUFs models/ggml-vocab-*.gguf and their .inp/.out pairs (texts and
# the ids llama.cpp gives them), as the llama-cpp-python source package on PyPI vendors
# them. `pip download` fetches the sdist (about 75 MB; nothing is installed), its SHA-256
# is checked, and the files go to ${XDG_CACHE_HOME:-$HOME/.cache}/efbench/llama-vocab/.
# With --source the whole llama.cpp tree is kept too (llama-vocab/llama.cpp/), for
# scripts/llama-tokenizer-vectors.sh. A second run downloads nothing. Called by .ci/run.
# Exit status: 0 ok, 1 download or verification failed (message on stderr).
set -eu

PKG=llama-cpp-python
VERSION=0.3.36
SHA256=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/efbench"
TARGET="$CACHE/llama-vocab"
STAMP="$TARGET/.llama-cpp-python-$VERSION"
keep_source=0
[ "${1:-}" = "--source" ] && keep_source=1

say() { printf 'fetch-llama-vocab: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

if [ -f "$STAMP" ] && { [ "$keep_source" = 0 ] || [ -d "$TARGET/llama.cpp/src" ]; }; then
    printf '%s\n' "$TARGET"
    exit 0
fi
command -v pip3 >/dev/null 2>&1 && PIP=pip3 || PIP=pip
command -v "$PIP" >/dev/null 2>&1 || die "pip is needed to download $PKG from PyPI"
mkdir -p "$CACHE"
WORK=$(mktemp -d "$CACHE/.vocab.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM

say "downloading the $PKG $VERSION source package (about 75 MB) from PyPI"
# the sdist only: its build backend, which pip runs to read the metadata, comes as wheels
# (Debian 13's pip builds every build dependency from source under --no-binary=:all:)
"$PIP" download --quiet --no-deps --no-binary="$PKG" -d "$WORK" "$PKG==$VERSION" >&2 ||
    die "pip download of $PKG failed (network or PyPI unavailable?)"
sdist="$WORK/llama_cpp_python-$VERSION.tar.gz"
[ -f "$sdist" ] || die "pip did not deliver $sdist"
got=$(sha256sum "$sdist" | cut -d' ' -f1)
[ "$got" = "$SHA256" ] || die "$sdist has SHA-256 $got, expected $SHA256"

root="llama_cpp_python-$VERSION/vendor/llama.cpp"
mkdir -p "$WORK/out"
if [ "$keep_source" = 1 ]; then
    tar -xzf "$sdist" -C "$WORK" "$root"
    cp "$WORK/$root"/models/ggml-vocab-* "$WORK/out/"
    mv "$WORK/$root" "$WORK/out/llama.cpp"
else
    tar -xzf "$sdist" -C "$WORK" --wildcards "$root/models/ggml-vocab-*"
    cp "$WORK/$root"/models/ggml-vocab-* "$WORK/out/"
fi
: >"$WORK/out/.llama-cpp-python-$VERSION"
rm -rf "$TARGET"
mv "$WORK/out" "$TARGET"
say "saved $TARGET"
printf '%s\n' "$TARGET"
