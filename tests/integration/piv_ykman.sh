#!/bin/sh
# SPDX-License-Identifier: MIT
# YubiKey's own tools against the yubikey5 profile, through a real pcscd and
# vpcd: ykman (list, info, piv info/keys/certificates/reset), ykcs11 through
# pkcs11-tool, yubico-piv-tool's attest. Every step checks the tool's exit
# status and what it printed; attestations are verified with openssl.
# Run inside `scsim run --profile yubikey5 --reader-name "Yubico YubiKey
# OTP+FIDO+CCID" --trace FILE -- $0 FILE`: needs PCSCLITE_CSOCK_NAME and
# SCSIM_READER; FILE is the APDU trace to inspect.
set -eu

. "$(dirname "$0")/client_steps.sh"
need_tools ykman yubico-piv-tool pkcs11-tool openssl
TRACE=${1:-}
pkcs11_module ykcs11 libykcs11.so
case "$SCSIM_READER" in
*Yubico\ YubiKey*) ;;
*) echo "FAIL: reader '$SCSIM_READER' is not named as a YubiKey's (--reader-name)" >&2; exit 1 ;;
esac

SERIAL=7000007
MGM=010203040506070801020304050607080102030405060708
# The second reader of the entry (scsim run's spare card) carries the same
# name, so ykman sees two devices: name ours by its serial.
yk() { ykman --device "$SERIAL" "$@" </dev/null; }
p11() { pkcs11-tool --module "$MOD" "$@" </dev/null; }
y() { yubico-piv-tool -r "$SCSIM_READER" "$@" </dev/null; }

# One attestation: verified against F9's certificate, for the expected key,
# with Yubico's extensions (firmware 5.4.3, serial, PIN policy, USB-A keychain).
check_attestation() { # FILE PUBKEY POLICY
        ok openssl verify -CAfile "$W/f9.pem" "$1"
        has ": OK"
        openssl x509 -in "$1" -noout -pubkey >"$W/attested.pub" 2>"$OUT" ||
                fail "openssl cannot read $1"
        openssl pkey -pubin -in "$2" -out "$W/expected.pub" >"$OUT" 2>&1 ||
                fail "openssl cannot read $2"
        cmp -s "$W/attested.pub" "$W/expected.pub" || fail "$1 attests another key"
        ok openssl asn1parse -in "$1"
        for ext in "3.3:050403" "3.7:02036ACFC7" "3.8:$3" "3.9:01"; do
                grep -A 1 "OBJECT *:1.3.6.1.4.1.41482.${ext%%:*}\$" "$OUT" |
                        grep -q "HEX DUMP\]:${ext#*:}\$" ||
                        fail "$1: extension 41482.${ext%%:*} is not ${ext#*:}"
        done
}

# identity: a YubiKey 5 NFC with its serial and firmware, PIV its one application
ok ykman list
has "YubiKey 5 NFC (5.4.3) \[OTP+FIDO+CCID\] Serial: $SERIAL"
ok ykman list --serials
has "^$SERIAL\$"
ok yk info
has "Device type: YubiKey 5 NFC"
has "Serial number: $SERIAL"
has "Firmware version: 5.4.3"
has "Form factor: Keychain (USB-A)"
has "NFC transport is enabled"
grep -q "^PIV[[:space:]]*Enabled[[:space:]]*Enabled" "$OUT" || fail "PIV not enabled on USB and NFC"
grep -q "^OATH[[:space:]]*Not available" "$OUT" || fail "OATH shown though the card has none"
ok yk piv info
has "PIV version: 5.4.3"
has "PIN tries remaining: 3/3"
has "Management key algorithm: TDES"

# keys generate, attest; certificates; an imported key is not attested
ok yk piv certificates export f9 "$W/f9.pem"
ok openssl x509 -in "$W/f9.pem" -noout -subject
has "scsim PIV Attestation"
ok yk piv keys generate -a ECCP256 -m "$MGM" 9a "$W/pub-9a.pem"
ok yk piv keys attest 9a "$W/att-9a.pem"
check_attestation "$W/att-9a.pem" "$W/pub-9a.pem" 0201
ok yk piv keys generate -a RSA2048 --pin-policy ALWAYS -m "$MGM" 9c "$W/pub-9c.pem"
ok yk piv keys attest 9c "$W/att-9c.pem"
check_attestation "$W/att-9c.pem" "$W/pub-9c.pem" 0301
ok yk piv certificates generate -s "CN=scsim 9c" -m "$MGM" -P 123456 9c "$W/pub-9c.pem"
ok yk piv certificates export 9c "$W/cert-9c.pem"
ok openssl verify -CAfile "$W/cert-9c.pem" "$W/cert-9c.pem"
openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out "$W/imp.key" >/dev/null 2>&1 ||
        fail "openssl could not make a key"
openssl req -x509 -key "$W/imp.key" -subj "/CN=scsim imported" -days 1 -out "$W/imp.pem" \
        >/dev/null 2>&1 || fail "openssl could not certify the key"
ok yk piv keys import -m "$MGM" 9d "$W/imp.key"
ok yk piv certificates import -m "$MGM" 9d "$W/imp.pem"
no yk piv keys attest 9d "$W/att-9d.pem"
has "Attestation failed"
no yk piv keys attest 9e "$W/att-9e.pem"
ok yk piv info
has "Slot 9c:"
has "CN=scsim 9c"
has "CN=scsim imported"

# yubico-piv-tool: the same attestation, its own idea of the card
ok y -a status
has "Version:	5.4.3"
has "Serial Number:	$SERIAL"
ok y -a attest -s 9a -o "$W/att-9a-tool.pem"
check_attestation "$W/att-9a-tool.pem" "$W/pub-9a.pem" 0201

# ykcs11: a YubiKey 5 token, the attestation objects, its self-test
ok p11 -L
has "token model *: YubiKey YK5"
has "serial num *: $SERIAL"
has "token label *: YubiKey PIV #$SERIAL"
ok p11 -O
has "X.509 Certificate for PIV Attestation 9a"
has "CN=YubiKey PIV Attestation 9c"
has "X.509 Certificate for PIV Attestation\$"
ok p11 --login --pin 123456 --test
has "No errors"

# PIN rules as a YubiKey has them: any 6-8 characters, letters too; a wrong
# old PIN costs a try, the PUK unblocks; an AES management key, then one
# stored on the card under the PIN
ok yk piv access change-pin -P 123456 -n abcdefg
ok yk piv info
lacks "Using default PIN"
for left in 2 1; do
        no yk piv access change-pin -P 000000 -n 111111
        has "PIN change failed - $left tries left"
done
no yk piv access change-pin -P 000000 -n 111111
has "PIN is blocked"
no yk piv access change-pin -P abcdefg -n 111111
has "PIN is blocked"
ok yk piv access unblock-pin -p 12345678 -n x1y2z3
ok yk piv info
has "PIN tries remaining: 3/3"
ok yk piv access change-pin -P x1y2z3 -n 123456
AES=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
ok yk piv access change-management-key -m "$MGM" -n "$AES" -a AES256 -f
ok yk piv info
has "Management key algorithm: AES256"
lacks "Using default Management key"
ok yk piv access change-management-key -m "$AES" -g -p -P 123456 -f
ok yk piv info
has "Management key is stored on the YubiKey, protected by PIN"
ok yk piv keys generate -a ECCP256 -P 123456 9e "$W/pub-9e.pem"

# reset: ykman blocks PIN and PUK with empty codes (wrong ones on a
# YubiKey), then resets; the attestation key and certificate stay
ok yk piv reset -f
has "Success"
ok yk piv info
has "PIN tries remaining: 3/3"
lacks "Slot 9"
lacks "Management key is stored"
ok yk piv certificates export f9 "$W/f9-after.pem"
cmp -s "$W/f9.pem" "$W/f9-after.pem" || fail "reset replaced the attestation certificate"
no yk piv keys attest 9a "$W/att-gone.pem"
ok yk piv keys generate -a ECCP256 -m "$MGM" 9a "$W/pub-9a2.pem"
ok yk piv keys attest 9a "$W/att-9a2.pem"
check_attestation "$W/att-9a2.pem" "$W/pub-9a2.pem" 0201

if [ -n "$TRACE" ]; then
        grep -q " READ CONFIG C: 00 1D 00 00" "$TRACE" || fail "no READ CONFIG in the trace"
        grep -q " ATTEST C: 00 F9 9A 00" "$TRACE" || fail "no ATTEST in the trace"
        # ykman's reset sends the only VERIFY and RESET RETRY COUNTER with wrong codes: empty ones
        grep -q "VERIFY C: 00 20 00 80 .*masked\] R: - SW 63C2" "$TRACE" ||
                fail "no empty PIN counted as a wrong one in the trace"
        grep -q "RESET RETRY COUNTER C: 00 2C 00 80 .*masked\] R: - SW 63C2" "$TRACE" ||
                fail "no empty PUK counted as a wrong one in the trace"
        # the management key ykman keeps under the PIN, in 5FC109: masked both ways
        grep -q "PUT DATA C: 00 DB 3F FF .*masked\] R: - SW 9000" "$TRACE" ||
                fail "no masked PUT DATA of the stored management key in the trace"
        grep -q "GET DATA C: .* 5C 03 5F C1 09 R: \[[0-9]* bytes masked\] SW 9000" "$TRACE" ||
                fail "no masked GET DATA of the stored management key in the trace"
        if grep -q "5C 03 5F C1 09 53\|5F C1 09 R: 53" "$TRACE"; then
                fail "the stored management key is in the trace"
        fi
fi
echo "piv_ykman: $steps steps passed"
