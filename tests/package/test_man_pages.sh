#!/bin/sh
# SPDX-License-Identifier: MIT
# The manual pages stay true to the programs: a page per verb, every option of each --help
# documented and no option documented that --help lacks, the version, and clean groff.
# usage: test_man_pages.sh SCSIM SCSIM_VPCD SOURCE_DIR
set -u
export LC_ALL=C # one collation for sort and comm
scsim=$1
vpcd=$2
man=$3/docs/man
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# The long options a --help text names, one per line.
help_options() { grep -o -e '--[a-z][a-z-]*' "$1" | sort -u; }
# The long options a page documents in its OPTIONS section, one per line.
page_options() {
        sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$1" | grep -oE -e '\\-\\-[a-z]([a-z]|\\-)*' |
                sed 's/\\-/-/g' | sort -u
}
# $1 program name, $2 --help output, $3 page
compare() {
        help_options "$2" >"$tmp/h"
        page_options "$3" >"$tmp/p"
        for o in $(comm -23 "$tmp/h" "$tmp/p"); do
                fail "$1: $o is in --help but not in $(basename "$3")'s OPTIONS"
        done
        for o in $(comm -13 "$tmp/h" "$tmp/p" | grep -vx -e '--help'); do
                fail "$1: $(basename "$3") documents $o, which --help does not have"
        done
}

version=$("$scsim" --version | sed -n 's/^scsim //p')
[ -n "$version" ] || fail "scsim --version printed no version"

"$scsim" --help >"$tmp/top" || fail "scsim --help exited $?"
verbs=$(sed -n '/^verbs:/,/^$/p' "$tmp/top" | awk 'NF > 1 { print $1 }')
[ -n "$verbs" ] || fail "no verbs found in scsim --help"
for v in $verbs; do
        page=$man/scsim-$v.1
        if [ ! -f "$page" ]; then
                fail "verb '$v' has no page docs/man/scsim-$v.1"
                continue
        fi
        grep -q "^\.BR scsim-$v (1)" "$man/scsim.1" || fail "scsim.1 does not list scsim-$v(1)"
        [ "$v" = version ] && continue # it has no options
        "$scsim" "$v" --help >"$tmp/help" 2>&1 || fail "scsim $v --help exited $?"
        compare "scsim $v" "$tmp/help" "$page"
done
for page in "$man"/scsim-*.1; do
        v=$(basename "$page" .1)
        v=${v#scsim-}
        [ "$v" = vpcd ] && continue
        echo "$verbs" | grep -qx "$v" || fail "docs/man/scsim-$v.1 names a verb scsim does not have"
done

"$vpcd" --help >"$tmp/help" 2>&1 || fail "scsim-vpcd --help exited $?"
compare scsim-vpcd "$tmp/help" "$man/scsim-vpcd.1"

for page in "$man"/*.1; do
        grep -q "^\.TH [A-Z-]* 1 \"[0-9-]*\" \"scsim $version\"" "$page" ||
                fail "$(basename "$page"): .TH does not say scsim $version"
        # every groff warning (-ww) counts; the pages are plain ASCII, so no preconv is needed
        groff -man -ww -z "$page" >"$tmp/warn" 2>&1
        LC_ALL=C grep -n '[^ -~]' "$page" >>"$tmp/warn"
        if [ -s "$tmp/warn" ]; then
                fail "$(basename "$page") has groff warnings:"
                cat "$tmp/warn"
        fi
done
[ "$failed" = 0 ] && echo "ok: $(echo "$verbs" | wc -w) verb pages, scsim.1, scsim-vpcd.1"
exit "$failed"
