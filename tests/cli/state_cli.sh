#!/bin/sh
# SPDX-License-Identifier: MIT
# scsim state show|reset and the --state-key options through the real binaries: exit codes, messages.
# usage: state_cli.sh SCSIM SCSIM_VPCD
set -u
scsim=$1
vpcd=$2
dir=$(mktemp -d)
out=$dir/out
err=$dir/err
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"; exit 1; }

umask 077
printf '%s\n' 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f >"$dir/key"
state=$dir/cards/card.state

"$scsim" state reset --yes --state-key "$dir/key" "$state" >"$out" 2>"$err" ||
        fail "reset with a key exited $?"
"$scsim" state show --state-key "$dir/key" "$state" >"$out" 2>"$err" || fail "show with the key exited $?"
grep -q 'encrypted (AES-256-GCM)' "$out" || fail "show: not reported encrypted"
grep -q '  pin              ref 01  tries  3/3   ok' "$out" || fail "show: the PIN's counter"
"$scsim" state show "$state" >"$out" 2>"$err"
[ $? = 3 ] || fail "show of an encrypted file without its key must exit 3"
grep -q 'is encrypted: give its key' "$err" || fail "show without the key: message"

chmod 644 "$dir/key"
"$scsim" state show --state-key "$dir/key" "$state" >"$out" 2>"$err"
[ $? = 3 ] || fail "a key file others can read must be refused (exit 3)"
grep -q 'group or others' "$err" || fail "key file mode: message"
chmod 600 "$dir/key"

"$scsim" state reset --yes "$state" >"$out" 2>"$err" || fail "plain reset exited $?"
"$scsim" state show "$state" >"$out" 2>"$err" || fail "plain show exited $?"
grep -q 'not encrypted' "$out" || fail "plain show: encryption"

mkfifo "$dir/fifo"
"$scsim" state show "$dir/fifo" >"$out" 2>"$err"
[ $? = 3 ] || fail "show of a FIFO must exit 3 at once"
grep -q 'not a regular file' "$err" || fail "FIFO: message"

"$vpcd" --state-key "$dir/key" >"$out" 2>"$err"
[ $? = 2 ] || fail "scsim-vpcd --state-key without --state must exit 2"
grep -q -- '--state-key needs --state' "$err" || fail "scsim-vpcd: message"
"$vpcd" --state "$state" --state-key "$dir/nokey" >"$out" 2>"$err"
[ $? = 3 ] || fail "scsim-vpcd with a missing key file must exit 3"
"$scsim" run --state-key "$dir/key" -- true >"$out" 2>"$err"
[ $? = 125 ] || fail "scsim run --state-key without --state must exit 125 (scsim run's own failure)"
grep -q -- '--state-key needs --state' "$err" || fail "scsim run: message"
exit 0
