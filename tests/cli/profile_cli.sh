#!/bin/sh
# SPDX-License-Identifier: MIT
# scsim profile check|show|list through the real binary: exit codes, messages, masking.
# usage: profile_cli.sh SCSIM SOURCE_DIR
set -u
scsim=$1
src=$2
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
fail() { echo "FAIL: $*"; echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"; exit 1; }

"$scsim" profile check "$src/profiles/iso7816-chv.yaml" "$src/profiles/two-apps.yaml" iso7816-chv \
        >"$out" 2>"$err" || fail "check of good profiles exited $?"
[ "$(grep -c ': ok' "$out")" = 3 ] || fail "check did not report 3 good profiles"

bad=$src/tests/profiles/bad
"$scsim" profile check "$src/profiles/two-apps.yaml" "$bad/chv-retries-range.yaml" \
        "$bad/rule-unknown-chv.yaml" >"$out" 2>"$err"
rc=$?
[ $rc = 2 ] || fail "check with bad profiles exited $rc, want 2"
grep -qx "$bad/chv-retries-range.yaml:10:14: chv 'pin': retries must be 1..15, got 40" "$err" ||
        fail "first bad file's message missing"
grep -qx "$bad/rule-unknown-chv.yaml:16:17: file 'data': read: no chv named 'pn'" "$err" ||
        fail "second bad file's message missing (every bad file must be reported)"
grep -q "two-apps.yaml: ok" "$out" || fail "good file among bad ones not reported ok"

# every mistake of a file, each on its line, as the corpus file lists them
"$scsim" profile check "$bad/every-mistake-reported.yaml" >"$out" 2>"$err"
[ $? = 2 ] || fail "check of a file with many mistakes must exit 2"
sed -n 's|^# expect: |'"$bad"'/every-mistake-reported.yaml:|p' "$bad/every-mistake-reported.yaml" \
        >"$out.want"
[ "$(wc -l <"$out.want")" -ge 10 ] || fail "the corpus file lists fewer mistakes than it has"
diff "$out.want" "$err" >/dev/null || fail "check did not print every mistake: $(diff "$out.want" "$err")"
rm -f "$out.want"
"$scsim" profile check PIV >"$out" 2>"$err"
[ $? = 2 ] || fail "check of an unknown name must exit 2"
SCSIM_PROFILE_PATH=$src/profiles "$scsim" profile check PIV >"$out" 2>"$err"
grep -q "no profile named 'PIV'.*; did you mean 'piv'?" "$err" || fail "PIV does not suggest piv"

"$scsim" profile check /nonexistent/p.yaml >"$out" 2>"$err"
[ $? = 2 ] || fail "missing file must exit 2"

"$scsim" profile show iso7816-chv >"$out" 2>"$err" || fail "show exited $?"
grep -q 'atr: "3B 8B 80 01 80 73 F4 01 DB 55 53 43 53 49 4D C5"' "$out" || fail "show: ATR"
grep -q 'reference: "81"' "$out" || fail "show: app PIN reference"
if grep -q -e '1234' -e '31 32 33 34' -e '4041' -e '40 41 42' "$out"; then
        fail "show printed a secret"
fi
"$scsim" profile show "$src/profiles/piv.yaml" >"$out" 2>"$err" || fail "show piv exited $?"
grep -q 'application: piv' "$out" || fail "show: the PIV application"
grep -q 'management_key_algorithm: 3des' "$out" || fail "show: the management key algorithm"
if grep -q -e '01 02 03 04 05 06 07 08' -e '0102030405060708' "$out"; then
        fail "show printed the management key"
fi
# with --secrets, what show prints is a profile that loads and prints the same again
for prof in iso7816-chv "$src/profiles/two-apps.yaml" "$src/profiles/piv.yaml" \
        "$src/profiles/openpgp.yaml" "$src/tests/integration/openpgp_opensc.yaml"; do
        "$scsim" profile show --secrets "$prof" >"$out.yaml" 2>"$err" || fail "show --secrets $prof"
        grep -q 'holds its CHV values and keys in clear' "$out.yaml" || fail "show --secrets: warning"
        "$scsim" profile show --secrets "$out.yaml" >"$out.2.yaml" 2>"$err" ||
                fail "show --secrets output of $prof does not load: $(cat "$err")"
        [ "$(sed 1d "$out.yaml")" = "$(sed 1d "$out.2.yaml")" ] ||
                fail "show --secrets of $prof does not print back the same"
done
"$scsim" profile show --secrets "$src/profiles/piv.yaml" >"$out.yaml" 2>"$err" || fail "show piv"
grep -q 'management_key: "01 02 03 04 05 06 07 08' "$out.yaml" || fail "show --secrets: mgm key"
rm -f "$out.yaml" "$out.2.yaml"
"$scsim" profile show "$src/profiles/openpgp.yaml" >"$out" 2>"$err" || fail "show openpgp exited $?"
grep -q 'application: openpgp' "$out" || fail "show: the OpenPGP application"
grep -q 'signature_pin: once' "$out" || fail "show: the PW1 status"
grep -q 'pw3: "\*\*\*\*\*\*\*\*"   # masked, 8 bytes' "$out" || fail "show: PW3 masked"
if grep -q -e '123456' -e '31 32 33 34 35 36' -e '313233343536' "$out"; then
        fail "show printed an OpenPGP password"
fi
"$scsim" profile show "$src/tests/integration/openpgp_opensc.yaml" >"$out" 2>"$err" ||
        fail "show of the OpenPGP profile with keys exited $?"
grep -q 'sig: {private_key: generated at start, created: 1700000000}' "$out" ||
        fail "show: a key generated at start"
"$scsim" profile show "$bad/empty.yaml" >"$out" 2>"$err"
[ $? = 2 ] || fail "show of a bad profile must exit 2"

SCSIM_PROFILE_PATH=$src/profiles "$scsim" profile list >"$out" 2>"$err" || fail "list exited $?"
grep -q '^iso7816-chv .*(embedded)' "$out" || fail "list: embedded default"
grep -q '^two-apps ' "$out" || fail "list: two-apps from SCSIM_PROFILE_PATH"
SCSIM_PROFILE_PATH=$bad "$scsim" profile list >"$out" 2>"$err"
[ $? = 2 ] || fail "list with a bad profile on the path must exit 2"
if "$scsim" --version --json >/dev/null 2>&1; then
        SCSIM_PROFILE_PATH=$src/profiles "$scsim" profile list --json >"$out" 2>"$err" ||
                fail "list --json exited $?"
        python3 - "$out" "$src/profiles" <<'PY' || fail "list --json: $(cat "$out")"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["operation"] == "profile list" and o["ok"] is True, o
by = {p["name"]: p for p in o["profiles"]}
assert by["iso7816-chv"]["path"] is None and by["iso7816-chv"]["source"] == "embedded", by
assert by["two-apps"]["source"] == "SCSIM_PROFILE_PATH" and by["two-apps"]["valid"], by
assert by["two-apps"]["path"] == sys.argv[2] + "/two-apps.yaml", by
PY
        SCSIM_PROFILE_PATH=$bad "$scsim" profile list --json >"$out" 2>"$err"
        [ $? = 2 ] || fail "list --json with a bad profile on the path must exit 2"
        python3 - "$out" <<'PY' || fail "list --json, a bad profile: $(cat "$out")"
import json, sys
o = json.load(open(sys.argv[1]))
assert o["ok"] is False and o["error"], o
bad = [p for p in o["profiles"] if not p["valid"]]
assert bad and all(p["error"] and p["label"] is None for p in bad), o
PY
        [ ! -s "$err" ] || fail "list --json wrote to stderr: $(cat "$err")"
fi

"$scsim" profile --help >"$out" 2>"$err" || fail "--help exited $?"
"$scsim" profile frobnicate >"$out" 2>"$err"
[ $? = 2 ] || fail "unknown subcommand must exit 2"
# the complete example in docs/profiles.md is a valid profile
sed -n '/^## Complete example/,$p' "$src/docs/profiles.md" | sed -n '/^```yaml$/,/^```$/p' |
        sed '1d;$d' >"$out.yaml"
[ -s "$out.yaml" ] || fail "no example found in docs/profiles.md"
"$scsim" profile check "$out.yaml" >"$out" 2>"$err" || fail "docs example: $(cat "$err")"
rm -f "$out.yaml"
echo "ok"
