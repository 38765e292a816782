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
trap 'rm -f "$out"' EXIT

# check NAME WANT_EXIT WANT_TEXT CMD...: run CMD, compare exit code and output
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

unset SCSIM_PIN SCSIM_NEW_PIN SCSIM_PUK

# first, while no application is selected: the card keeps its selection across
# PC/SC connections, as a real one does
check "local ref 81 outside its application" 1 'SCARD_E_INVALID_CHV' \
        env SCSIM_PIN=000000 "$SCSIM" verify --ref 01 --local
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
check "missing reference 05" 1 'SCARD_E_INVALID_CHV (0x8010002A), SW 6A88' \
        env SCSIM_PIN=1234 "$SCSIM" verify --ref 05
check "status of a missing reference" 1 'no such reference' "$SCSIM" status --ref 05
check "local ref 81 inside its application" 0 'Verify ref 81 (local): S_OK' \
        env SCSIM_PIN=000000 "$SCSIM" verify --ref 81 --aid $AID
check "reset-security-state" 0 '"method":"verify-ff","hresult":"S_OK"' \
        "$SCSIM" reset-security-state --json
check "status after the reset" 0 'ref 01 (global): not verified, 3 tries left' "$SCSIM" status
for left in 2 1 0; do
        check "block: wrong PIN, $left left" 1 "SW 63C$left" env SCSIM_PIN=9999 "$SCSIM" verify
done
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
check "demo --json" 0 '"ok":true}$' "$SCSIM" demo --json
check "unknown reader" 3 'SCARD_E_UNKNOWN_READER' \
        env SCSIM_PIN=1234 "$SCSIM" verify --reader "no such reader"

if [ "$failures" -ne 0 ]; then
        echo "$failures check(s) failed"
        exit 1
fi
echo "all checks passed"
