#!/bin/sh
# SPDX-License-Identifier: MIT
# OpenSC against the piv profile, through a real pcscd and vpcd: the card is
# recognised, PKCS#11 lists the objects, logs in, signs (pkcs11-tool --test
# too), the signatures verify with the openssl command line, and a logout
# leaves the card needing the PIN again.
# Run inside `scsim run --profile piv --trace FILE -- $0 FILE`: needs
# PCSCLITE_CSOCK_NAME and SCSIM_READER; FILE is the APDU trace to inspect.
set -eu

. "$(dirname "$0")/client_steps.sh"
need_tools yubico-piv-tool opensc-tool pkcs11-tool openssl
TRACE=${1:-}
pkcs11_module opensc-pkcs11 opensc-pkcs11.so "${SCSIM_PKCS11_MODULE:-}"
p11() { pkcs11-tool --module "$MOD" "$@" </dev/null; }
y() { yubico-piv-tool -r "$SCSIM_READER" "$@" </dev/null; }

# Keys and certificates first (OpenSC shows PIV keys through their
# certificates): 9a RSA, 9c and 9e P-256, 9d RSA; issued by a test CA.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/ca.key" \
        -out "$W/ca.pem" -subj /CN=scsim-test-ca -days 2 >/dev/null 2>&1
for sa in 9a:RSA2048 9c:ECCP256 9d:RSA2048 9e:ECCP256; do
        slot=${sa%:*}
        ok y -a generate -s "$slot" -A "${sa#*:}" -o "$W/pub-$slot.pem"
        openssl x509 -new -force_pubkey "$W/pub-$slot.pem" -subj "/CN=scsim $slot" \
                -CA "$W/ca.pem" -CAkey "$W/ca.key" -days 1 -out "$W/cert-$slot.pem" \
                >"$OUT" 2>&1 || fail "openssl could not certify $slot"
        ok y -a import-certificate -s "$slot" -i "$W/cert-$slot.pem"
done

# a P-256 key in retired slot 82 (PIN once) for raw signatures below: OpenSC
# puts its own commands between opensc-tool's, so no chained RSA block there
ok y -a generate -s 82 -A ECCP256 -o "$W/pub-82.pem"

ok opensc-tool --reader "$SCSIM_READER" --name
has "Personal Identity Verification Card"

ok p11 --list-slots
has "token manufacturer : piv_II"
ok p11 --list-objects
for label in "Certificate for PIV Authentication" "Certificate for Digital Signature" \
        "Certificate for Key Management" "Certificate for Card Authentication" \
        "CARD AUTH key"; do
        has "$label"
done
ok p11 --login --pin 123456 --list-objects
has "PIV AUTH key"
has "SIGN key"

# C_SetPIN: CHANGE REFERENCE DATA; a wrong PIN is refused, the new one works
ok p11 --login --pin 123456 --change-pin --new-pin 654321
no p11 --login --pin 123456 --list-objects
ok p11 --login --pin 654321 --change-pin --new-pin 123456
ok p11 --login --pin 123456 --list-objects

# pkcs11-tool's own test run
ok p11 --login --pin 123456 --test
has "No errors"

echo "scsim PIV signature test data" >"$W/data"

# RSA PKCS#1 v1.5 with SHA-256 on 9a (ID 01)
ok p11 --login --pin 123456 --id 01 --sign --mechanism SHA256-RSA-PKCS \
        --input-file "$W/data" --output-file "$W/sig-9a"
ok openssl dgst -sha256 -verify "$W/pub-9a.pem" -signature "$W/sig-9a" "$W/data"
has "Verified OK"

# ECDSA with SHA-256 on 9c (ID 02): PIN always, pkcs11-tool logs in again per use
ok p11 --login --pin 123456 --id 02 --sign --mechanism ECDSA-SHA256 --signature-format openssl \
        --input-file "$W/data" --output-file "$W/sig-9c"
ok openssl dgst -sha256 -verify "$W/pub-9c.pem" -signature "$W/sig-9c" "$W/data"
has "Verified OK"

# RSA decryption on 9d (ID 03): encrypt with openssl, decrypt on the card
echo "a session key" >"$W/plain"
openssl pkeyutl -encrypt -pubin -inkey "$W/pub-9d.pem" -in "$W/plain" -out "$W/cipher" ||
        fail "openssl could not encrypt for 9d"
ok p11 --login --pin 123456 --id 03 --decrypt --mechanism RSA-PKCS --input-file "$W/cipher" \
        --output-file "$W/decrypted"
cmp -s "$W/plain" "$W/decrypted" || fail "9d decrypted something else"

# The security state under these clients. OpenSC 0.23 has no PIV logout
# (C_Logout sends nothing), so the PIN verified by the pkcs11-tool runs above
# is still verified on the card, as on a real one; VERIFY P1=FF (what newer
# OpenSC sends on C_Logout) ends it, and a signature then needs the PIN.
SIGN82="00871182267C2482008120$(printf '%064d' 0)00"
ok opensc-tool --reader "$SCSIM_READER" -s 00A4040009A0000003080000100000 -s 00200080 \
        -s "$SIGN82" -s 0020FF80 -s 00200080 -s "$SIGN82"
# SELECT, the query (still verified), a signature, the logout: 9000 each
[ "$(grep -c 'Received (SW1=0x90, SW2=0x00)' "$OUT")" -eq 4 ] ||
        fail "SELECT, VERIFY query, signature and logout should answer 9000"
has "Received (SW1=0x63, SW2=0xC3)"
has "Received (SW1=0x69, SW2=0x82)"
if [ -n "$TRACE" ]; then
        grep -q "C: 00 20 FF 80" "$TRACE" || fail "no VERIFY P1=FF in the trace"
fi
ok p11 --login --pin 123456 --id 01 --sign --mechanism SHA256-RSA-PKCS \
        --input-file "$W/data" --output-file "$W/sig-again"
ok openssl dgst -sha256 -verify "$W/pub-9a.pem" -signature "$W/sig-again" "$W/data"
has "Verified OK"

echo "piv_opensc: $steps steps passed"
