#!/bin/sh
# SPDX-License-Identifier: MIT
# yubico-piv-tool against the piv profile, through a real pcscd and vpcd.
# Run inside `scsim run --profile piv -- $0`: needs PCSCLITE_CSOCK_NAME and
# SCSIM_READER. Every step checks the tool's exit status and what it printed.
set -eu

. "$(dirname "$0")/client_steps.sh"
need_tools yubico-piv-tool openssl

y() { yubico-piv-tool -r "$SCSIM_READER" "$@" </dev/null; }

MGM=010203040506070801020304050607080102030405060708
NEWMGM=0A0B0C0D0E0F10110A0B0C0D0E0F10110A0B0C0D0E0F1011

# A CA of the test's own: Debian's yubico-piv-tool 2.2.0 cannot selfsign with
# OpenSSL 3 (Yubico issue #388, before any APDU), so certificates for the
# card's keys are issued here around the public key the card generated.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/ca.key" \
        -out "$W/ca.pem" -subj /CN=scsim-test-ca -days 2 >/dev/null 2>&1

# status and identity (YubiKey extensions)
ok y -a status
has "Version:	5.4.3"
has "Serial Number:	7000007"
has "PIN tries left:	3"
has "CHUID:	3019d4e739da739ced39ce739d836858210842108421c84210c3eb"
ok y -a version
has "5.4.3"

# PIN: verify, wrong PIN, change, change PUK, block and unblock
ok y -a verify-pin -P 123456
has "Successfully verified PIN"
no y -a verify-pin -P 999999
has "2 tries left"
ok y -a verify-pin -P 123456
ok y -a change-pin -P 123456 -N 654321
no y -a verify-pin -P 123456
ok y -a verify-pin -P 654321
ok y -a change-puk -P 12345678 -N 87654321
has "Successfully changed the puk code"
no y -a verify-pin -P 111111
no y -a verify-pin -P 111111
no y -a verify-pin -P 111111
has "blocked"
no y -a verify-pin -P 654321
has "blocked"
no y -a unblock-pin -P 12345678 -N 123456
ok y -a unblock-pin -P 87654321 -N 123456
has "Successfully unblocked the pin code"
ok y -a verify-pin -P 123456

# management key: a new one, the old one no longer works, then back
ok y -a set-mgm-key -n "$NEWMGM"
no y -a generate -s 9e -A ECCP256 -o "$W/x.pem"
has "Failed authentication"
ok y -k"$NEWMGM" -a set-mgm-key -n "$MGM"
ok y -a set-chuid
ok y -a set-ccc

# keys: generate in every slot with both algorithms, certify, import, read
# back, and have the tool test a signature (and decryption/ECDH on 9d)
for slot in 9a 9c 9d 9e; do
        for alg in ECCP256 RSA2048; do
                ok y -a generate -s "$slot" -A "$alg" -o "$W/pub.pem"
                openssl x509 -new -force_pubkey "$W/pub.pem" -subj "/CN=$slot $alg" \
                        -CA "$W/ca.pem" -CAkey "$W/ca.key" -days 1 -out "$W/cert.pem" \
                        >"$OUT" 2>&1 || fail "openssl could not certify the $slot public key"
                ok y -a import-certificate -s "$slot" -i "$W/cert.pem"
                ok y -a read-certificate -s "$slot" -o "$W/back.pem"
                cmp -s "$W/cert.pem" "$W/back.pem" || fail "$slot: certificate read back differs"
                cp "$W/cert.pem" "$W/cert-$slot.pem"
                ok y -a verify-pin -P 123456 -a test-signature -s "$slot" -i "$W/cert.pem"
                has "Successful"
                if [ "$slot" = 9d ]; then
                        ok y -a verify-pin -P 123456 -a test-decipher -s "$slot" -i "$W/cert.pem"
                        has "Successfully performed"
                fi
        done
done
ok y -a status
has "Subject DN:	CN=9e RSA2048"

# import-key: keys made by openssl, one per algorithm, in retired slots
i=0
for spec in "RSA2048 rsa -pkeyopt rsa_keygen_bits:2048" "RSA1024 rsa -pkeyopt rsa_keygen_bits:1024" \
        "ECCP256 ec -pkeyopt ec_paramgen_curve:P-256" "ECCP384 ec -pkeyopt ec_paramgen_curve:P-384"; do
        set -- $spec
        alg=$1
        shift
        slot=$((0x82 + i))
        slot=$(printf '%x' "$slot")
        i=$((i + 1))
        openssl genpkey -algorithm "$@" -out "$W/imp.key" >/dev/null 2>&1 ||
                fail "openssl could not make a $alg key"
        openssl req -x509 -key "$W/imp.key" -subj "/CN=imported $alg" -days 1 \
                -out "$W/imp.pem" >/dev/null 2>&1 || fail "openssl could not certify the $alg key"
        ok y -a import-key -s "$slot" -i "$W/imp.key"
        has "Successfully imported a new private key"
        ok y -a verify-pin -P 123456 -a test-signature -s "$slot" -i "$W/imp.pem"
        has "Successful"
done

# 9e needs no PIN; 9a needs the PIN; 9c needs a VERIFY right before each use
ok y -a test-signature -s 9e -i "$W/cert-9e.pem"
has "Successful"
no y -a test-signature -s 9a -i "$W/cert-9a.pem"
ok y -a verify-pin -P 123456 -a test-signature -a test-signature -s 9a -i "$W/cert-9a.pem"
no y -a test-signature -s 9c -i "$W/cert-9c.pem"
ok y -a verify-pin -P 123456 -a test-signature -s 9c -i "$W/cert-9c.pem"
has "Successful"
no y -a verify-pin -P 123456 -a test-signature -a test-signature -s 9c -i "$W/cert-9c.pem"

# pin-retries: needs the PIN (and the management key); PIN and PUK go back to defaults
no y -a pin-retries --pin-retries 5 --puk-retries 4
ok y -a verify-pin -P 123456 -a pin-retries --pin-retries 5 --puk-retries 4
has "both codes have been reset to default"
ok y -a status
has "PIN tries left:	5"
no y -a verify-pin -P 000000
has "4 tries left"
ok y -a verify-pin -P 123456

# reset: refused while the PIN and PUK work, done when both are blocked
no y -a reset
for i in 1 2 3 4 5; do no y -a verify-pin -P 000000; done
no y -a reset
for i in 1 2 3 4; do no y -a unblock-pin -P 00000000 -N 123456; done
ok y -a reset
has "Successfully reset the application"
ok y -a status
has "PIN tries left:	3"
if grep -q "Slot 9" "$OUT"; then fail "keys or certificates survived the reset"; fi
ok y -a verify-pin -P 123456

echo "piv_yubico: $steps steps passed"
