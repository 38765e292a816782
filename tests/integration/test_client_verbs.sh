#!/bin/sh
# SPDX-License-Identifier: MIT
# Every ISCardVerify verb of `scsim` against the simulated default card,
# through real pcscd and vpcd. Run under `scsim run` (it sets SCSIM_READER and
# PCSCLITE_CSOCK_NAME) on a fresh card:  scsim run -- test_client_verbs.sh SCSIM
set -u
SCSIM=${1:?usage: test_client_verbs.sh PATH_TO_SCSIM}
AID=F0534353494D01
failures=0
out=$(mktemp)

# check NAME WANT_EXIT WANT_TEXT CMD...: run CMD, compare exit code and output (both streams)
check() {
        name=$1 want_rc=$2 want_text=$3
        shift 3
        "$@" >"$out" 2>&1
        rc=$?
        if [ "$rc" -eq "$want_rc" ] && grep -q -- "$want_text" "$out"; then
                echo "ok   $name"
        else
                echo "FAIL $name: exit $rc (want $want_rc), output lacks '$want_text':"
                sed 's/^/     /' "$out"
                failures=$((failures + 1))
        fi
}

# count_is NAME TEXT N: the last check's output holds TEXT exactly N times
count_is() {
        got=$(grep -o -F -- "$2" "$out" | wc -l)
        if [ "$got" -eq "$3" ]; then
                echo "ok   $1"
        else
                echo "FAIL $1: '$2' $got times, want $3:"
                sed 's/^/     /' "$out"
                failures=$((failures + 1))
        fi
}

# lacks NAME TEXT: the last check's output does not hold TEXT
lacks() {
        if grep -q -F -- "$2" "$out"; then
                echo "FAIL $1: output holds '$2':"
                sed 's/^/     /' "$out"
                failures=$((failures + 1))
        else
                echo "ok   $1"
        fi
}

# json NAME PYTHON_EXPR: the last checkj's stdout is one JSON object, "operation" first and "ok"
# last, valid UTF-8, for which EXPR holds (the object is j)
JSON_PY='
import json, sys
text = sys.stdin.buffer.read().decode("utf-8")
lines = text.splitlines()
assert len(lines) == 1, "want one line, got %d" % len(lines)
j = json.loads(lines[0])
keys = list(j)
assert keys[0] == "operation" and keys[-1] == "ok", keys
sys.exit(0 if eval(sys.argv[1]) else 1)
'
json() {
        if "$PY" -c "$JSON_PY" "$2" <"$stdout_only"; then
                echo "ok   $1"
        else
                echo "FAIL $1: '$2' does not hold for:"
                sed 's/^/     /' "$stdout_only"
                failures=$((failures + 1))
        fi
}

# checkj NAME WANT_EXIT PYTHON_EXPR CMD...: run CMD with --json semantics: exit code, then json
checkj() {
        name=$1 want_rc=$2 expr=$3
        shift 3
        "$@" >"$stdout_only" 2>"$out"
        rc=$?
        if [ "$rc" -ne "$want_rc" ]; then
                echo "FAIL $name: exit $rc (want $want_rc)"
                sed 's/^/     /' "$stdout_only" "$out"
                failures=$((failures + 1))
                return
        fi
        json "$name" "$expr"
}

PY=${PYTHON:-/usr/bin/python3}
stdout_only=$(mktemp)
trap 'rm -f "$out" "$stdout_only"' EXIT
unset SCSIM_PIN SCSIM_NEW_PIN SCSIM_PUK

# first, while no application is selected: the card keeps its selection across
# PC/SC connections, as a real one does
check "local ref 81 outside its application" 1 'SCARD_E_INVALID_CHV' \
        env SCSIM_PIN=000000 "$SCSIM" verify --ref 01 --local
check "verify --ref 81 outside its DF hints at --aid" 1 'select that first with --aid AID' \
        env SCSIM_PIN=000000 "$SCSIM" verify --ref 81
check "status --ref 81 outside its DF hints at --aid" 1 'select that first with --aid AID' \
        "$SCSIM" status --ref 81
check "status: ref 01 not verified, 3 tries" 0 '"ref":"01","scope":"global","sw":"63C3"' \
        "$SCSIM" status --json
check "status with --aid also shows local 81" 0 'ref 81 (local): not verified, 3 tries left' \
        "$SCSIM" status --aid $AID
check "verify: no PIN source is a usage error" 2 'no PIN' "$SCSIM" verify
check "verify: a PIN on the command line is refused" 2 'never taken from the command line' \
        "$SCSIM" verify 1234
check "verify wrong PIN (env)" 1 '"hresult":"SCARD_W_WRONG_CHV","hresult_value":"0x8010006B","tries_left":2' \
        env SCSIM_PIN=9999 "$SCSIM" verify --json
check "verify right PIN (stdin)" 0 'S_OK (0x00000000), SW 9000' \
        sh -c 'printf "1234\n" | "$1" verify --pin-stdin' sh "$SCSIM"
check "verify malformed PIN" 1 'SCARD_E_INVALID_VALUE (0x80100011), SW 6A80' \
        env SCSIM_PIN=12 "$SCSIM" verify
count_is "malformed PIN: the HRESULT is said once" 'SCARD_E_INVALID_VALUE' 1
# verified or not by now: pcscd may power an idle card off between two processes
count_is "malformed PIN: no try spent, said once" 'no try was spent' 1
check "missing reference 05" 1 'SCARD_E_INVALID_CHV (0x8010002A), SW 6A88' \
        env SCSIM_PIN=1234 "$SCSIM" verify --ref 05
check "status of a missing reference" 1 'no such reference' "$SCSIM" status --ref 05
check "local ref 81 inside its application" 0 'Verify ref 81 (local): S_OK' \
        env SCSIM_PIN=000000 "$SCSIM" verify --ref 81 --aid $AID
check "reset-security-state" 0 '"method":"verify-ff","hresult":"S_OK"' \
        "$SCSIM" reset-security-state --json
check "status after the reset" 0 'ref 01 (global): not verified, 3 tries left' "$SCSIM" status
check "malformed PIN, not verified: the rule" 1 'a length range and its characters' \
        env SCSIM_PIN=12 "$SCSIM" verify
count_is "malformed PIN: no try spent, the count said once" 'no try was spent (3 tries left)' 1
count_is "malformed PIN: the result said once" 'SCARD_E_INVALID_VALUE' 1
lacks "malformed PIN: the code is not shown" '12 '
checkj "malformed PIN --json" 1 \
        'j["operation"] == "verify" and j["sw"] == "6A80" and j["tries_left"] == 3 and not j["ok"] and "no try was spent (3 tries left)" in j["error"]' \
        env SCSIM_PIN=12 "$SCSIM" verify --json
checkj "status --json: one schema" 0 \
        'j["operation"] == "status" and j["ok"] and j["references"][0] == {"ref": "01", "scope": "global", "sw": "63C3", "hresult": "SCARD_W_CARD_NOT_AUTHENTICATED", "hresult_value": "0x8010006F", "tries_left": 3, "state": "not-verified"}' \
        "$SCSIM" status --json
checkj "reset-security-state --json: one schema" 0 \
        'j["operation"] == "reset-security-state" and j["ok"] and j["references"] == [{"ref": "01", "scope": "global"}] and j["hresult"] == "S_OK"' \
        "$SCSIM" reset-security-state --json
for left in 2 1 0; do
        check "block: wrong PIN, $left left" 1 "SW 63C$left" env SCSIM_PIN=9999 "$SCSIM" verify
done
lacks "blocking: no '1 tries'" '1 tries'
check "blocking: what to do next" 1 'scsim unblock --ref 01' env SCSIM_PIN=9999 "$SCSIM" verify
check "blocked reference refuses the right PIN" 1 'SCARD_W_CHV_BLOCKED (0x8010006C), SW 6983' \
        env SCSIM_PIN=1234 "$SCSIM" verify
check "status shows it blocked" 0 'ref 01 (global): blocked' "$SCSIM" status
check "unblock with a wrong PUK" 1 'SCARD_W_WRONG_CHV (0x8010006B), SW 63C9' \
        env SCSIM_PUK=87654321 SCSIM_NEW_PIN=1234 "$SCSIM" unblock
check "unblock with the PUK" 0 'Unblock ref 01 (global): S_OK' \
        sh -c 'printf "12345678\n1234\n" | "$1" unblock --pin-stdin' sh "$SCSIM"
check "unblocked, not verified" 0 'ref 01 (global): not verified, 3 tries left' "$SCSIM" status
check "change-code with a wrong old PIN" 1 'SCARD_W_WRONG_CHV' \
        env SCSIM_PIN=0000 SCSIM_NEW_PIN=5678 "$SCSIM" change-code
check "change-code" 0 'ChangeCode ref 01 (global): S_OK' \
        env SCSIM_PIN=1234 SCSIM_NEW_PIN=5678 "$SCSIM" change-code
check "old PIN no longer works" 1 'SCARD_W_WRONG_CHV' env SCSIM_PIN=1234 "$SCSIM" verify
check "new PIN works" 0 'S_OK' env SCSIM_PIN=5678 "$SCSIM" verify
check "change-code --disable" 0 'ChangeCode(DISABLE) ref 01 (global): S_OK' \
        env SCSIM_PIN=5678 "$SCSIM" change-code --disable
check "change-code --enable" 0 'ChangeCode(ENABLE) ref 01 (global): S_OK' \
        env SCSIM_PIN=5678 "$SCSIM" change-code --enable
check "change-code back" 0 'S_OK' \
        sh -c 'printf "5678\n1234\n" | "$1" change-code --pin-stdin' sh "$SCSIM"
check "reset-security-state again" 0 'S_OK (0x00000000), by VERIFY P1=FF' \
        "$SCSIM" reset-security-state
check "demo" 0 'all 18 steps gave the expected result' "$SCSIM" demo
check "demo: the SW with the HRESULT it maps to" 0 '63C2 -> SCARD_W_WRONG_CHV (0x8010006B)' \
        "$SCSIM" demo
check "demo: '1 try left'" 0 '1 try left' "$SCSIM" demo
lacks "demo: never '1 tries left'" '1 tries'
for code in 1234 9999 2468 12345678; do
        lacks "demo: no code $code in its output" "$code"
done
check "demo --json" 0 '"ok":true}$' "$SCSIM" demo --json
checkj "demo --json: steps named as the verbs" 0 \
        'len(j["steps"]) == 18 and all(s["ok"] for s in j["steps"]) and [s["operation"] for s in j["steps"]][:6] == ["verify", "verify", "verify", "transmit", "transmit", "reset-security-state"] and j["steps"][1]["sw"] == "63C2" and j["steps"][1]["expected_sw"] == "63C2"' \
        "$SCSIM" demo --json
check "demo: columns aligned" 0 'columns aligned at' sh -c '
        "$1" demo | awk "/^ *[0-9]+  / { p = index(\$0, \" -> \"); if (w && p != w) bad = 1; w = p }
                END { if (bad || !w) exit 1; print \"columns aligned at\", w }"' sh "$SCSIM"
check "unknown reader" 3 'SCARD_E_UNKNOWN_READER' \
        env SCSIM_PIN=1234 "$SCSIM" verify --reader "no such reader"
check "unknown reader lists the readers" 3 "readers: 0 '$SCSIM_READER' (card)" \
        "$SCSIM" status -r "no such reader"
check "-r takes an index" 0 "reader: $SCSIM_READER" "$SCSIM" status -r 0
check "-r takes part of a name, any case" 0 "reader: $SCSIM_READER" \
        "$SCSIM" status -r "$(echo "$SCSIM_READER" | tr 'A-Z' 'a-z' | cut -c 5-)"
check "-v says which reader and why" 0 "reader '$SCSIM_READER' (from \$SCSIM_READER)" \
        "$SCSIM" status -v
check "\$SCSIM_READER naming no reader" 3 "no reader named 'gone' (from \$SCSIM_READER)" \
        env SCSIM_READER=gone "$SCSIM" status
checkj "unknown reader --json" 3 \
        'not j["ok"] and j["hresult"] == "SCARD_E_UNKNOWN_READER" and "readers:" in j["error"]' \
        "$SCSIM" status -r "no such reader" --json
# Debian's vpcd makes two readers; scsim run fills the first
"$SCSIM" status -r 1 >"$out" 2>&1
if grep -q 'holds no card' "$out"; then
        check "-r naming a reader with no card" 3 "holds no card" "$SCSIM" status -r 1
else
        echo "skip -r naming a reader with no card: there is no second reader"
fi

if [ "$failures" -ne 0 ]; then
        echo "$failures check(s) failed"
        exit 1
fi
echo "all checks passed"
