#!/bin/sh
# SPDX-License-Identifier: MIT
# `cmake --install` as a user does it: two prefixes (one moved afterwards), the shipped profiles
# found from each, only the versioned public API exported, and programs built against the
# install with pkg-config and with find_package.
# usage: test_install.sh BUILD_DIR SOURCE_DIR CC VERSION [CFLAGS]
set -u
export LC_ALL=C
build=$1
src=$2
cc=$3
version=$4
cflags=${5:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }
# run DESCRIPTION COMMAND...: COMMAND's output in $tmp/out; a failure shows it
run() {
        what=$1
        shift
        "$@" >"$tmp/out" 2>&1
        rc=$?
        if [ "$rc" != 0 ]; then
                fail "$what: exited $rc"
                sed 's/^/    /' "$tmp/out"
                return 1
        fi
}

# The exported symbols of a library (name and version), and what its headers declare.
exports() { nm -D --defined-only --with-symbol-versions "$1" | awk '$2 != "A" { print $3 }' | sort; }
# (Export markers such as SCSIM_SCV_API, which a declaration may start with, are left out.)
declared() {
        sed -E 's/(^|[ ])SCSIM_[A-Z_]*_API /\1/' "$@" |
                sed -nE -e '/^typedef/d' -e 's/^[a-z][^(]*[ *](scsim_[a-z0-9_]+)\(.*/\1/p' \
                        -e 's/^extern const [a-z_]+ (SCSIM_[A-Za-z_]+);.*/\1/p' | sort -u
}
# check_abi LIB VERSION_NODE HEADER...: exactly the headers' functions and objects, each tagged
check_abi() {
        lib=$1
        node=$2
        shift 2
        exports "$lib" >"$tmp/exports"
        [ -s "$tmp/exports" ] || fail "$(basename "$lib") exports nothing"
        grep -v "@@$node\$" "$tmp/exports" | while read -r s; do
                echo "FAIL: $(basename "$lib"): $s is not at version $node"
        done | grep . && failed=1
        sed 's/@.*//' "$tmp/exports" | sort -u >"$tmp/names"
        declared "$@" >"$tmp/declared"
        [ -s "$tmp/declared" ] || fail "no declarations found in $*"
        for s in $(comm -23 "$tmp/names" "$tmp/declared"); do
                fail "$(basename "$lib") exports $s, which no installed header declares"
        done
        for s in $(comm -13 "$tmp/names" "$tmp/declared"); do
                fail "$(basename "$lib") does not export $s, declared in an installed header"
        done
}

# check_programs PREFIX: the installed programs, from where they are now.
check_programs() {
        p=$1
        profiles=$p/share/scsim/profiles
        run "$p: scsim --version" "$p/bin/scsim" --version &&
                { grep -qx "scsim $version" "$tmp/out" || fail "$p: scsim --version: $(cat "$tmp/out")"; }
        run "$p: scsim profile show piv" "$p/bin/scsim" profile show piv &&
                { grep -q '^name: piv' "$tmp/out" || fail "$p: profile show piv printed no piv"; }
        run "$p: scsim profile list" "$p/bin/scsim" profile list &&
                { grep -q "^piv .* $profiles/piv.yaml\$" "$tmp/out" ||
                        fail "$p: profile list does not show $profiles/piv.yaml: $(cat "$tmp/out")"; }
        run "$p: scsim-vpcd --profile piv --print-atr" "$p/bin/scsim-vpcd" --profile piv --print-atr
        # the programs that use only public API load the installed shared libraries
        readelf -d "$p/bin/scsim-vpcd" | grep -q 'NEEDED.*\[libscsim\.so\.0\]' ||
                fail "$p: scsim-vpcd is not linked with libscsim.so.0"
        # scsim's verbs are in its module; the program itself (scsim run) maps no libcrypto
        module=$(find "$p" -name libscsim-cli.so | head -n 1)
        if [ -z "$module" ]; then
                fail "$p: the scsim module libscsim-cli.so is not installed"
        else
                readelf -d "$module" | grep -q 'NEEDED.*\[libscsim-iscardverify\.so\.0\]' ||
                        fail "$p: the scsim module is not linked with libscsim-iscardverify.so.0"
        fi
        ! readelf -d "$p/bin/scsim" | grep -q 'NEEDED.*libcrypto' ||
                fail "$p: the scsim program loads libcrypto (only its module should)"
        for page in "$src"/docs/man/*.1; do
                [ -f "$p/share/man/man1/$(basename "$page")" ] ||
                        fail "$p: man page $(basename "$page") not installed"
        done
}

# check_pkgconfig PREFIX: a program built as a Makefile would, with pkg-config, and the ABI.
check_pkgconfig() {
        p=$1
        libdir=$(PKG_CONFIG_PATH=$(echo "$p"/lib*/pkgconfig "$p"/lib/*/pkgconfig | tr ' ' :) \
                pkg-config --variable=libdir libscsim)
        if [ -z "$libdir" ] || [ ! -f "$libdir/libscsim.so" ]; then
                fail "$p: pkg-config --variable=libdir libscsim gave '$libdir'"
                return
        fi
        # shellcheck disable=SC2046,SC2086 # pkg-config's output is a list of words
        run "$p: build with pkg-config" "$cc" $cflags -o "$tmp/consumer-pc" \
                "$src/tests/package/consumer/consumer.c" \
                $(PKG_CONFIG_PATH=$libdir/pkgconfig \
                        pkg-config --cflags --libs libscsim libscsim-iscardverify) \
                -Wl,-rpath,"$libdir" &&
                run "$p: run the pkg-config build" "$tmp/consumer-pc" "$version" \
                        "$p/share/scsim/profiles"
        # every installed header but the client's belongs to libscsim
        # shellcheck disable=SC2046 # header paths have no spaces in this test's prefixes
        check_abi "$libdir/libscsim.so" SCSIM_0.1 $(ls "$p"/include/scsim/*.h | grep -v /iscardverify.h)
        check_abi "$libdir/libscsim-iscardverify.so" SCSIM_ISCARDVERIFY_0.1 \
                "$p"/include/scsim/iscardverify.h
}

# check_cmake PREFIX: a program built as a CMake project would, with find_package.
check_cmake() {
        p=$1
        rm -rf "$tmp/consumer-cmake"
        run "$p: configure with find_package" cmake -S "$src/tests/package/consumer" \
                -B "$tmp/consumer-cmake" -DCMAKE_PREFIX_PATH="$p" -DCMAKE_C_COMPILER="$cc" \
                -DCMAKE_C_FLAGS="$cflags" &&
                run "$p: build with find_package" cmake --build "$tmp/consumer-cmake" &&
                run "$p: run the find_package build" "$tmp/consumer-cmake/consumer" "$version" \
                        "$p/share/scsim/profiles"
}

# The second prefix has a colon in it: the installed profile directory is one directory, not a
# search path.
for p in "$tmp/a" "$tmp/b:c"; do
        run "cmake --install --prefix $p" cmake --install "$build" --prefix "$p" || exit 1
done
check_programs "$tmp/a"
check_pkgconfig "$tmp/a"
check_cmake "$tmp/a"
check_programs "$tmp/b:c"
# A prefix moved after installing still finds its profiles and libraries (pkg-config files
# name their prefix, so they move with a reinstall only).
mv "$tmp/a" "$tmp/moved"
check_programs "$tmp/moved"
check_cmake "$tmp/moved"

# From the build tree, the source tree's profiles.
run "build tree: scsim profile list" "$build/client/scsim" profile list &&
        { grep -q "^piv .* $src/profiles/piv.yaml\$" "$tmp/out" ||
                fail "build tree: profile list does not show $src/profiles/piv.yaml"; }

[ "$failed" = 0 ] && echo "ok: installed twice, moved once, built against with pkg-config and CMake"
exit "$failed"
