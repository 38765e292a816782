#!/bin/sh
# SPDX-License-Identifier: MIT
# Which reader `scsim -r` names with two cards in two readers, through real pcscd and vpcd:
# an index, a name or part of one; several matches or none are refused with the readers listed.
# Run under two slots:  scsim run --slots 2 -- test_client_readers.sh SCSIM
set -u
SCSIM=${1:?usage: test_client_readers.sh PATH_TO_SCSIM}
R0=${SCSIM_READER_0:?run under scsim run --slots 2}
R1=${SCSIM_READER_1:?run under scsim run --slots 2}
failures=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
unset SCSIM_PIN SCSIM_NEW_PIN SCSIM_PUK

# check NAME WANT_EXIT WANT_TEXT CMD...: run CMD, compare exit code and output (both streams)
check() {
        name=$1 want_rc=$2 want_text=$3
        shift 3
        "$@" >"$out" 2>&1
        rc=$?
        if [ "$rc" -eq "$want_rc" ] && grep -q -F -- "$want_text" "$out"; then
                echo "ok   $name"
        else
                echo "FAIL $name: exit $rc (want $want_rc), output lacks '$want_text':"
                sed 's/^/     /' "$out"
                failures=$((failures + 1))
        fi
}

check "-r 0 is the first reader" 0 "reader: $R0" "$SCSIM" status -r 0
check "-r 1 is the second reader" 0 "reader: $R1" "$SCSIM" status -r 1
check "--reader=1 is the same" 0 "reader: $R1" "$SCSIM" status --reader=1
check "a whole name" 0 "reader: $R1" "$SCSIM" status -r "$R1"
check "part of a name" 0 "reader: $R1" "$SCSIM" status -r "${R1#Virtual }"
check "part of a name, another case" 0 "reader: $R0" \
        "$SCSIM" status -r "$(echo "${R0#Virtual }" | tr 'A-Z' 'a-z')"
check "-r wins over \$SCSIM_READER" 0 "reader: $R1" env SCSIM_READER="$R0" "$SCSIM" status -r 1
check "a part both names share is refused, with the matches" 2 \
        "-r 'PCD' matches 2 readers: 0 '$R0' (card), 1 '$R1' (card); give more of the name" \
        "$SCSIM" status -r PCD
check "an index past the end lists the readers" 3 \
        "no reader matches -r '7' (SCARD_E_UNKNOWN_READER 0x80100009): -r takes an index, a reader's name or part of one; readers: 0 '$R0' (card), 1 '$R1' (card)" \
        "$SCSIM" status -r 7
check "ambiguous with --json: a result all the same" 2 '"error":"-r '"'PCD'"' matches 2 readers' \
        "$SCSIM" status -r PCD --json

# the two cards are two cards: a wrong PIN in one leaves the other alone
check "wrong PIN in the second reader" 1 '2 tries left' env SCSIM_PIN=9999 "$SCSIM" verify -r 1
check "the first reader's card is untouched" 0 'ref 01 (global): not verified, 3 tries left' \
        "$SCSIM" status -r 0
check "the second still shows it" 0 'ref 01 (global): not verified, 2 tries left' \
        "$SCSIM" status -r "${R1#Virtual }"
check "the right PIN restores it" 0 'S_OK' env SCSIM_PIN=1234 "$SCSIM" verify -r 1
check "reset the second" 0 'S_OK' "$SCSIM" reset-security-state -r 1
check "the demo on the second reader" 0 "session on reader '$R1'" "$SCSIM" demo -r 1

if [ "$failures" -ne 0 ]; then
        echo "$failures check(s) failed"
        exit 1
fi
echo "all checks passed"
