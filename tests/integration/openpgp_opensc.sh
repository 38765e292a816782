#!/bin/sh
# SPDX-License-Identifier: MIT
# OpenSC against an OpenPGP card with three RSA keys (openpgp_opensc.yaml),
# through a real pcscd and vpcd: opensc-tool and openpgp-tool read the card,
# its keys and private DOs; pkcs15-tool -D and pkcs11-tool -O list the PINs
# and keys; pkcs11-tool signs with the signature key (PSO: CDS, PIN 81) and
# the authentication key (INTERNAL AUTHENTICATE), decrypts with the
# decryption key, changes the PIN, counts a wrong one, and passes --test
# (which decrypts with the authentication key through MSE). Signatures and
# decryption are checked with the openssl command line.
# Run inside `scsim run --profile openpgp_opensc.yaml -- $0`.
set -eu

. "$(dirname "$0")/client_steps.sh"
need_tools opensc-tool openpgp-tool pkcs15-tool pkcs11-tool openssl
pkcs11_module opensc-pkcs11 opensc-pkcs11.so "${SCSIM_PKCS11_MODULE:-}"
p11() { pkcs11-tool --module "$MOD" "$@" </dev/null; }
# slot 0 is the token of PIN 82 (decryption, authentication), slot 1 that of PIN 81 (signature)
pubkey() {
        ok p11 --slot "$1" --read-object --type pubkey --id "$2" -o "$W/pub-$2.der"
        openssl pkey -pubin -inform DER -in "$W/pub-$2.der" -out "$W/pub-$2.pem" >"$OUT" 2>&1 ||
                fail "openssl cannot read public key $2"
}

ok opensc-tool --reader "$SCSIM_READER" --name
has "OpenPGP card v3.4 (FFFF 00000001)"

ok openpgp-tool -r 0 --card-info --user-info --key-info --do 1
has "d2:76:00:01:24:01:03:04:ff:ff:00:00:00:01:00:00"
has "Manufacturer:    test card"
has "Serial number:   00000001"
has "DO 0101:         a public note"
has "Sig Fingerprint: 11:11:11:11"
has "Aut Algorithm:   RSA2048"

# private DO 3 needs PW1 (82); after VERIFY P1=FF it is refused again
ok openpgp-tool -r 0 --verify CHV2 --pin 123456 --do 3
has "a note for PW1"
ok opensc-tool --reader "$SCSIM_READER" -s 00A4040006D27600012401 -s 0020FF82 -s 00CA010300
has "SW1=0x69, SW2=0x82"

ok pkcs15-tool -D
for label in "PIN \[User PIN\]" "PIN \[User PIN (sig)\]" "PIN \[Admin PIN\]" \
        "Private RSA Key \[Signature key\]" "Private RSA Key \[Encryption key\]" \
        "Private RSA Key \[Authentication key\]" "Public RSA Key \[Authentication key\]"; do
        has "$label"
done

ok p11 --list-slots
has "OpenPGP card (User PIN)"
has "OpenPGP card (User PIN (sig))"
ok p11 -O
has "Public Key Object; RSA 2048 bits"
has "Authentication key"

echo "scsim OpenPGP signature test data" >"$W/data"
# the signature key (ID 01, PIN 81): PSO: COMPUTE DIGITAL SIGNATURE
pubkey 1 01
ok p11 --slot 1 --login --pin 123456 --id 01 --sign --mechanism SHA256-RSA-PKCS \
        --input-file "$W/data" --output-file "$W/sig-01"
ok openssl dgst -sha256 -verify "$W/pub-01.pem" -signature "$W/sig-01" "$W/data"
has "Verified OK"
# the authentication key (ID 03, PIN 82): INTERNAL AUTHENTICATE
pubkey 0 03
ok p11 --login --pin 123456 --id 03 --sign --mechanism SHA256-RSA-PKCS \
        --input-file "$W/data" --output-file "$W/sig-03"
ok openssl dgst -sha256 -verify "$W/pub-03.pem" -signature "$W/sig-03" "$W/data"
has "Verified OK"
# the decryption key (ID 02, PIN 82): PSO: DECIPHER
pubkey 0 02
echo "a session key" >"$W/plain"
openssl pkeyutl -encrypt -pubin -inkey "$W/pub-02.pem" -in "$W/plain" -out "$W/cipher" ||
        fail "openssl could not encrypt for key 02"
ok p11 --login --pin 123456 --id 02 --decrypt --mechanism RSA-PKCS --input-file "$W/cipher" \
        --output-file "$W/decrypted"
cmp -s "$W/plain" "$W/decrypted" || fail "key 02 decrypted something else"

# C_SetPIN: CHANGE REFERENCE DATA 81; a wrong PIN costs a try, the right one restores them
ok p11 --login --pin 123456 --change-pin --new-pin 654321
no p11 --login --pin 123456 -O
ok pkcs15-tool -D
grep -A12 "PIN \[User PIN\]" "$OUT" | grep -q "Tries left     : 2" || fail "a wrong PIN left 2 tries"
ok p11 --login --pin 654321 --change-pin --new-pin 123456
ok pkcs15-tool -D
grep -A12 "PIN \[User PIN\]" "$OUT" | grep -q "Tries left     : 3" || fail "the right PIN restored 3 tries"

# pkcs11-tool's own test run: signatures with the authentication key, decryption with both
ok p11 --login --pin 123456 --test
has "No errors"

echo "openpgp_opensc: $steps steps passed"
