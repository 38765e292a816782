#!/bin/sh
# SPDX-License-Identifier: MIT
# The library's layers call only downward: the checks docs/architecture.md lists, read from
# the sources' quoted includes.
# Usage: sim_layers.sh SOURCE_DIR
set -eu
src=$1
bad=
# quoted includes of FILE, as paths relative to sim/
includes() {
        dir=$(dirname "$1")
        for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$1"); do
                realpath -m --relative-to="$src/sim" "$dir/$h"
        done
}
# refuse FILE... including a header that matches the extended regex RULE
refuse() {
        rule=$1 why=$2
        shift 2
        for f in "$@"; do
                [ -f "$f" ] || continue
                for h in $(includes "$f"); do
                        if echo "$h" | grep -Eq "$rule"; then
                                bad="$bad
  ${f#"$src"/} includes $h: $why"
                        fi
                done
        done
}
refuse '^apps/' "the core knows applications only through sim/app.h and the registry" \
        "$src"/sim/*.c "$src"/sim/*.h "$src"/sim/iso/*.c "$src"/sim/iso/*.h
refuse '^(apps|state)/' "the profile layer knows neither applications' code nor state files" \
        "$src"/sim/profile/*.c "$src"/sim/profile/*.h
refuse '^state/' "the card core reaches the store only through the hook attach sets" \
        "$src"/sim/card.c "$src"/sim/core.c "$src"/sim/iso/*.c
refuse '^(card_internal\.h|apps/)' "the state codec turns records into bytes, knowing no card" \
        "$src"/sim/state/codec.c "$src"/sim/state/codec.h
# one application never reaches into another's folder
for d in "$src"/sim/apps/*/; do
        app=$(basename "$d")
        for f in "$d"*.c "$d"*.h; do
                [ -f "$f" ] || continue
                for h in $(includes "$f"); do
                        case $h in
                        apps/"$app"/*) ;;
                        apps/*) bad="$bad
  ${f#"$src"/} includes $h: applications meet only through sim/app.h" ;;
                        esac
                done
        done
done
# the bridge: its own files, and the library's public headers only
for f in "$src"/vpcd-bridge/*.c "$src"/vpcd-bridge/*.h; do
        [ -f "$f" ] || continue
        for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
                [ -f "$src/vpcd-bridge/$h" ] || bad="$bad
  ${f#"$src"/} includes \"$h\": the bridge uses <scsim/...> headers only"
        done
done
if [ -n "$bad" ]; then
        echo "FAIL: a layer reaches where it should not:$bad" >&2
        exit 1
fi
echo "ok: the core, profile, state and bridge layers include only downward"
