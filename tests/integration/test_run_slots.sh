#!/bin/sh
# SPDX-License-Identifier: MIT
# scsim run's readers: 16 cards with 16 serials, a profile and a name per slot, the spare card of
# reverse mode, traces started anew; scsim-vpcd's options as vicc and opensc-tool have them.
# Usage: test_run_slots.sh SCSIM SCSIM_VPCD PROFILE_DIR
set -eu
scsim=$1 vpcd=$2 profiles=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d)
bridge=
trap '[ -z "$bridge" ] || kill "$bridge" 2>/dev/null; rm -rf "$work"' EXIT
export TMPDIR="$work"

# 16 slots: 16 readers with a card, 16 serial numbers through GET DATA.
cat > "$work/serials.sh" <<'EOF'
#!/bin/sh
opensc-tool -l > "$OUT/list"
i=0
while [ "$i" -lt 16 ]; do
        eval reader=\$SCSIM_READER_$i
        opensc-tool -r "$reader" -s '00 CA 00 5A 00' | sed -n 's/^\(5A 08 [0-9A-F ]*\) .*/\1/p' >> "$OUT/serials"
        i=$((i + 1))
done
EOF
chmod 0755 "$work/serials.sh"
OUT=$work "$scsim" run --slots 16 -- "$work/serials.sh"
[ "$(grep -c ' Yes ' "$work/list")" = 16 ] || fail "opensc-tool -l: want 16 readers with a card: $(cat "$work/list")"
[ "$(sort -u "$work/serials" | wc -l)" = 16 ] || fail "want 16 distinct serials: $(cat "$work/serials")"
echo "ok: 16 slots: opensc-tool -l lists 16 cards, GET DATA gives 16 serials"

# A profile per slot; readers named per pair; ykcs11 only takes readers named Yubico*.
cat > "$work/names.sh" <<'EOF'
#!/bin/sh
set -eu
[ "$SCSIM_READER_0" = "Yubico YubiKey 00 00" ] && [ "$SCSIM_READER_2" = "Other 00 00" ] ||
        { echo "reader names: $SCSIM_READER_0 / $SCSIM_READER_2"; exit 1; }
opensc-tool -r "$SCSIM_READER_0" -n | grep -q "Personal Identity Verification" || { echo "slot 0 is no PIV card"; exit 1; }
opensc-tool -r "$SCSIM_READER_2" -n | grep -q "Personal Identity Verification" && { echo "slot 2 is a PIV card"; exit 1; }
pkcs11-tool --module "$YKCS11" -L | grep -q 'token label *: YubiKey PIV' ||
        { echo "ykcs11 sees no token"; exit 1; }
EOF
chmod 0755 "$work/names.sh"
ykcs11=$(find /usr/lib -name libykcs11.so -print -quit)
[ -n "$ykcs11" ] || fail "no libykcs11.so (scripts/setup installs ykcs11)"
YKCS11=$ykcs11 "$scsim" run --slots 3 --slot "0:$profiles/piv.yaml" --reader-name "Yubico YubiKey" \
        --reader-name "2:Other" -- "$work/names.sh" || fail "per-slot profiles and names"
echo "ok: --slot gives slot 0 a PIV card; --reader-name makes ykcs11 see it"
set +e
"$scsim" run --slots 2 --reader-name "0:A" --reader-name "1:B" -- true 2> "$work/err"
rc=$?
set -e
[ "$rc" = 125 ] && grep -q 'share one vpcd reader' "$work/err" || fail "two names for a pair: $rc $(cat "$work/err")"
echo "ok: two names for the two slots of one vpcd reader: exit 125 and why"

# Reverse mode with one slot: vpcd connects slot 1 too; a spare card keeps pcscd alive there.
"$scsim" run -- sh -c 'opensc-tool -l; echo "slot1=${SCSIM_READER_1:-unset}"' > "$work/out"
grep -q 'Yes *Virtual PCD 00 01' "$work/out" && grep -q 'slot1=unset' "$work/out" ||
        fail "one slot: $(cat "$work/out")"
echo "ok: one slot in reverse mode: pcscd lives, the spare reader is not announced"

# Traces: started anew, or appended with --trace-append; 0600; never through a symlink.
"$scsim" run --trace "$work/t" -- opensc-tool -r "Virtual PCD 00 00" -s '00 CA 00 5A 00' >/dev/null
"$scsim" run --trace "$work/t" -- opensc-tool -r "Virtual PCD 00 00" -s '00 CA 00 5A 00' >/dev/null
[ "$(grep -c 'GET DATA C: 00 CA 00 5A 00 ' "$work/t")" = 1 ] || fail "--trace appended: $(cat "$work/t")"
"$scsim" run --trace "$work/t" --trace-append -- opensc-tool -r "Virtual PCD 00 00" -s '00 CA 00 5A 00' >/dev/null
[ "$(grep -c 'GET DATA C: 00 CA 00 5A 00 ' "$work/t")" = 2 ] || fail "--trace-append: $(cat "$work/t")"
[ "$(stat -c %a "$work/t")" = 600 ] || fail "trace mode $(stat -c %a "$work/t")"
ln -s "$work/target" "$work/link"
set +e
"$scsim" run --trace "$work/link" -- true 2> "$work/err"
rc=$?
set -e
[ "$rc" = 125 ] && [ ! -e "$work/target" ] && grep -q 'symbolic link' "$work/err" ||
        fail "trace through a symlink: $rc $(cat "$work/err")"
echo "ok: traces start anew (--trace-append adds), mode 0600, never through a symlink"

# scsim-vpcd speaks like vicc: -V, -R, -H/-P; -r and -a say where they went.
"$vpcd" -V | grep -q '^scsim-vpcd ' || fail "-V"
set +e
"$vpcd" -r 2> "$work/err"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q 'reverse mode is -R' "$work/err" || fail "-r: $rc $(cat "$work/err")"
# With nothing listening it says that it waits for vpcd, and what to do.
mkfifo "$work/log"
"$vpcd" -H 127.0.0.1 -P 1 2> "$work/log" &
bridge=$!
read -r line < "$work/log"
kill "$bridge"
wait "$bridge" || true
bridge=
echo "$line" | grep -q 'waiting for vpcd at 127.0.0.1:1' || fail "no waiting message: $line"
echo "$line" | grep -q 'scsim run' || fail "the waiting message says nothing to do: $line"
echo "ok: scsim-vpcd -V, -R; with nothing listening it says it waits for vpcd and what to do"
[ -z "$(find "$work" -maxdepth 1 -name 'scsim-run.*')" ] || fail "a run directory was left"
