#!/bin/sh
# SPDX-License-Identifier: MIT
# scsim ctl seen through real clients: opensc-tool sees a swap and a removal, scsim verify a fault;
# the verb's output, --json and exit codes; docs/control.md's shell recipes run as written.
#   scsim run --removable --slots 2 -- test_ctl.sh SCSIM PYTHON DOCS_CONTROL_MD
set -u
scsim=$1
python=$2
doc=$3
failed=0
fail() { echo "FAIL: $*"; failed=1; }
ok() { echo "ok: $*"; }
r0=$SCSIM_READER_0
r1=$SCSIM_READER_1

out=$("$scsim" ctl status) || fail "status exited $?"
# powered or not is pcscd's choice (it powers an idle card down): the power verb is checked below
echo "$out" | grep -Eq "^slot 0  $r0  card  (powered|unpowered)  profile iso7816-chv  state in memory  tries pin=3" &&
        echo "$out" | grep -q "^slot 1  $r1  card" && ok "status: one line per slot" ||
        fail "status printed: $out"
"$scsim" ctl status --slot 1 --json | "$python" -c '
import json, sys
r = json.load(sys.stdin)
assert r["ok"] and [s["slot"] for s in r["slots"]] == [1], r' && ok "status --json --slot 1" ||
        fail "status --json"

# A swap seen by opensc-tool: the card's driver changes.
before=$(opensc-tool -r "$r1" -n 2>&1)
"$scsim" ctl swap --slot 1 --profile piv || fail "swap exited $?"
after=$(opensc-tool -r "$r1" -n 2>&1)
echo "$after" | grep -q "Personal Identity Verification" && [ "$before" != "$after" ] &&
        ok "opensc-tool -n: '$before' then '$after'" || fail "opensc-tool -n after swap: $after"

# A removal seen by opensc-tool, refused twice, and the card back.
"$scsim" ctl remove --slot 1 || fail "remove exited $?"
opensc-tool -r "$r1" -a >/dev/null 2>&1 && fail "opensc-tool still reaches a removed card" ||
        ok "opensc-tool: no card after remove"
"$scsim" ctl remove --slot 1 2>err
rc=$?
[ "$rc" = 1 ] && grep -q "use insert" err && ok "remove of an empty slot: exit 1, says insert" ||
        fail "second remove: exit $rc, $(cat err)"
"$scsim" ctl insert --slot 1 || fail "insert exited $?"
opensc-tool -r "$r1" -n 2>&1 | grep -q "Personal Identity Verification" && ok "opensc-tool: the PIV card is back" ||
        fail "no PIV card after insert"

# A fault seen by scsim verify, once; its id printed.
id=$("$scsim" ctl fault --kind sw --sw 6F00 --ins 20 --count 1) || fail "fault exited $?"
[ "$id" = 1 ] && ok "fault printed its id" || fail "fault printed '$id'"
echo 1234 | "$scsim" verify --ref 01 --pin-stdin 2>err && fail "verify passed through the fault"
grep -q "6F00" err && ok "verify: the card answered 6F00" || fail "verify said: $(cat err)"
echo 1234 | "$scsim" verify --ref 01 --pin-stdin || fail "verify after the fault's count: $?"

# Snapshot, restore, power, reset, clear: their outputs and codes.
snap=$("$scsim" ctl snapshot) && [ "$snap" = 1 ] && ok "snapshot printed 1" || fail "snapshot: $snap"
"$scsim" ctl power off && "$scsim" ctl power on && "$scsim" ctl power cycle && ok "power off, on, cycle" ||
        fail "power"
"$scsim" ctl restore "$snap" && "$scsim" ctl reset && ok "restore, reset" || fail "restore or reset"
"$scsim" ctl clear 7 2>/dev/null
[ $? = 1 ] && ok "clear of an unknown fault: exit 1" || fail "clear 7 did not exit 1"

# Usage and environment errors.
"$scsim" ctl power sideways 2>err
[ $? = 1 ] && grep -q '"action"' err && ok "power sideways: refused, names the field" || fail "power sideways"
"$scsim" ctl fault --slot x 2>/dev/null
[ $? = 2 ] && ok "--slot x: exit 2" || fail "--slot x did not exit 2"
"$scsim" ctl status --socket /nonexistent/control.sock 2>/dev/null
[ $? = 3 ] && ok "no socket: exit 3" || fail "a missing socket did not exit 3"
env -u SCSIM_CONTROL "$scsim" ctl status >/dev/null && ok "found through SCSIM_RUN_DIR" ||
        fail "SCSIM_RUN_DIR fallback"

# docs/control.md's shell recipes, as written (each line a scsim ctl call), then cleared.
sed -n '/^## CI recipes/,/^pytest/p' "$doc" | grep '^    scsim ctl ' | sed 's/^    //' >recipes
[ "$(wc -l <recipes)" -ge 6 ] || fail "docs/control.md has fewer recipes than expected"
bindir=$(dirname "$scsim")
while read -r line; do
        PATH=$bindir:$PATH sh -c "$line" >/dev/null || fail "docs/control.md: '$line' failed"
done <recipes
"$scsim" ctl clear && ok "docs/control.md's recipes ran ($(wc -l <recipes) lines)" || fail "clear"
rm -f err recipes
exit "$failed"
