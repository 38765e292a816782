#!/bin/sh
# SPDX-License-Identifier: MIT
# The Debian packages as a user gets them: built from the source tree with dpkg-buildpackage,
# clean under lintian, installed on this machine, a PIV card used through the installed scsim,
# programs built against libscsim-dev, then removed again so the machine is as it was.
# usage: test_deb.sh SOURCE_DIR VERSION CC
set -u
export LC_ALL=C
src=$1
version=$2
cc=$3
packages="scsim libscsim-dev libscsim0 libscsim-iscardverify0"

if [ "$(id -u)" != 0 ]; then
        echo "SKIP: installing packages needs root"
        exit 77
fi
for tool in dpkg-buildpackage lintian apt-get flock; do
        command -v "$tool" >/dev/null || { echo "FAIL: no $tool (run bash scripts/setup)"; exit 1; }
done

tmp=$(mktemp -d)
installed=no
failed=0
fail() { echo "FAIL: $*"; failed=1; }
cleanup() {
        if [ "$installed" = yes ]; then
                known=$(dpkg-query -W -f='${Package} ${Status}\n' $packages 2>/dev/null |
                        awk '$NF != "not-installed" { print $1 }')
                # shellcheck disable=SC2086 # a list of package names
                [ -z "$known" ] || apt-get purge -y -q -o DPkg::Lock::Timeout=600 $known \
                        >"$tmp/purge.log" 2>&1 ||
                        { echo "FAIL: removing the packages:"; cat "$tmp/purge.log"; failed=1; }
                for p in $packages; do
                        if dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qv '^unknown'; then
                                echo "FAIL: $p is still known to dpkg after the purge"
                                failed=1
                        fi
                done
        fi
        rm -rf "$tmp"
}
trap 'cleanup; exit "$failed"' EXIT
trap 'failed=1; exit' INT TERM HUP

# A clean copy of the sources (the source package is made of everything in the directory).
tree=$tmp/scsim-$version
mkdir "$tree"
tar -C "$src" --exclude-vcs --exclude='./build*' --exclude=./out --exclude=./Testing \
        --exclude='*.o' --exclude='*.so' --exclude='*.a' --exclude=__pycache__ -cf - . |
        tar -C "$tree" -xf - || { fail "copying $src"; exit; }

echo "== dpkg-buildpackage ($(date +%T))"
if ! (cd "$tree" && DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=2" \
        dpkg-buildpackage -us -uc) >"$tmp/build.log" 2>&1; then
        fail "dpkg-buildpackage; the end of its log:"
        tail -n 40 "$tmp/build.log"
        exit
fi
arch=$(dpkg --print-architecture)
changes=$tmp/scsim_${version}_$arch.changes
[ -f "$changes" ] || { fail "no $(basename "$changes"): debian/changelog is not at $version?"; exit; }

echo "== lintian ($(date +%T))"
if ! lintian --fail-on error,warning "$changes" >"$tmp/lintian.log" 2>&1; then
        fail "lintian reports errors or warnings:"
        cat "$tmp/lintian.log"
fi

# Installing changes the machine's package state: one run at a time (a lock on the package
# database's directory, which exists and is root's: nothing to create in a shared directory),
# and only from a state this test can restore.
exec 9</var/lib/dpkg
flock -w 900 9 || { fail "another package test kept its lock for 15 minutes"; exit; }
for p in $packages; do
        if dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' installed$'; then
                fail "$p is already installed: this test could not restore the machine;" \
                        "apt-get purge $packages, then run it again"
                exit
        fi
done
echo "== install ($(date +%T))"
debs=""
for p in $packages; do
        debs="$debs $tmp/${p}_${version}_$arch.deb"
done
# Only these four may be installed: a dependency apt would add could not be taken away again.
# shellcheck disable=SC2086 # a list of files
apt-get install -s -q --no-install-recommends $debs >"$tmp/install.log" 2>&1
extra=$(awk '$1 == "Inst" { print $2 }' "$tmp/install.log" | grep -vx -e scsim -e libscsim-dev \
        -e libscsim0 -e libscsim-iscardverify0)
if [ -n "$extra" ]; then
        fail "installing the packages would also install: $extra (run bash scripts/setup first)"
        exit
fi
installed=yes
# shellcheck disable=SC2086 # a list of files
if ! apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 \
        $debs >"$tmp/install.log" 2>&1; then
        fail "installing the packages:"
        cat "$tmp/install.log"
        exit
fi

echo "== use ($(date +%T))"
out=$(/usr/bin/scsim --version 2>&1)
[ "$out" = "scsim $version" ] || fail "scsim --version: '$out', want 'scsim $version'"
/usr/bin/scsim profile list >"$tmp/out" 2>&1
grep -q '^piv .* /usr/share/scsim/profiles/piv.yaml$' "$tmp/out" ||
        { fail "scsim profile list does not show /usr/share/scsim/profiles/piv.yaml:"; cat "$tmp/out"; }
if /usr/bin/scsim run --profile piv -- opensc-tool -n >"$tmp/out" 2>&1; then
        grep -qx 'Personal Identity Verification Card' "$tmp/out" ||
                { fail "opensc-tool -n through the installed scsim did not name a PIV card:"; cat "$tmp/out"; }
else
        fail "scsim run --profile piv -- opensc-tool -n exited $?:"
        cat "$tmp/out"
fi
[ "$(man -w scsim-run 2>/dev/null)" = /usr/share/man/man1/scsim-run.1.gz ] ||
        fail "man -w scsim-run does not find the installed page"

# libscsim-dev as a program's build uses it: no search path given, both ways.
# shellcheck disable=SC2046 # pkg-config's output is a list of words
if "$cc" -o "$tmp/consumer" "$src/tests/package/consumer/consumer.c" \
        $(pkg-config --cflags --libs libscsim libscsim-iscardverify) >"$tmp/out" 2>&1; then
        "$tmp/consumer" "$version" /usr/share/scsim/profiles >"$tmp/out" 2>&1 ||
                { fail "the pkg-config build against the packages:"; cat "$tmp/out"; }
else
        fail "building with pkg-config against libscsim-dev:"
        cat "$tmp/out"
fi
if cmake -S "$src/tests/package/consumer" -B "$tmp/consumer-cmake" -DCMAKE_C_COMPILER="$cc" \
        >"$tmp/out" 2>&1 && cmake --build "$tmp/consumer-cmake" >>"$tmp/out" 2>&1; then
        "$tmp/consumer-cmake/consumer" "$version" /usr/share/scsim/profiles >"$tmp/out" 2>&1 ||
                { fail "the find_package build against the packages:"; cat "$tmp/out"; }
else
        fail "building with find_package against libscsim-dev:"
        cat "$tmp/out"
fi

[ "$failed" = 0 ] && echo "ok: built, lintian clean, installed, used, removed"
