#!/bin/sh
# SPDX-License-Identifier: MIT
# Card present with the profile's ATR, seen by opensc-tool and pcsc_scan through a private pcscd.
# Run as: scsim run [--profile P] -- test_present.sh [P] (SCSIM_VPCD names the scsim-vpcd binary).
set -eu
fail() { echo "FAIL: $*" >&2; exit 1; }
profile=${1:-iso7816-chv}

want=$("$SCSIM_VPCD" --profile "$profile" --print-atr | tr -d ' ' | tr 'A-F' 'a-f')
got=$(opensc-tool -r "$SCSIM_READER" -a | tr -d ':' | tr 'A-F' 'a-f')
[ -n "$want" ] || fail "scsim-vpcd --print-atr printed nothing"
[ "$got" = "$want" ] || fail "opensc-tool ATR $got, profile ATR $want"
echo "ok: opensc-tool sees the profile's ATR $got"

opensc-tool -l | grep -F "$SCSIM_READER" | grep -q Yes || fail "opensc-tool -l: no card in $SCSIM_READER"
echo "ok: opensc-tool -l lists a card in $SCSIM_READER"

out=$(opensc-tool -r "$SCSIM_READER" -s '00 CA 00 5A 00')
echo "$out" | grep -q 'SW1=0x90, SW2=0x00' || fail "GET DATA serial: $out"
echo "ok: GET DATA through opensc-tool answers 9000"

# pcsc_scan -c lists the readers with their cards' ATRs once and exits.
scan=$(pcsc_scan -c 2>&1 || true)
echo "$scan" | grep -F "$SCSIM_READER" >/dev/null || fail "pcsc_scan does not list $SCSIM_READER: $scan"
echo "$scan" | tr -d ' ' | tr 'A-F' 'a-f' | grep -q "$want" || fail "pcsc_scan does not show the ATR: $scan"
echo "ok: pcsc_scan lists $SCSIM_READER with the ATR"
