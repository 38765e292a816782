#!/bin/sh
# SPDX-License-Identifier: MIT
# The scsim command without a reader, as a new user meets it: version, help, typos, no pcscd,
# a profile name in the wrong case, state show --json; every message says what to do.
# usage: scsim_cli.sh SCSIM SOURCE_DIR
set -u
scsim=$1
src=$2
py=/usr/bin/python3
dir=$(mktemp -d)
out=$dir/out
err=$dir/err
trap 'rm -rf "$dir"' EXIT
failures=0
fail() {
        echo "FAIL: $*"
        echo "--- stdout"
        cat "$out"
        echo "--- stderr"
        cat "$err"
        failures=$((failures + 1))
}
ok() { echo "ok   $*"; }

# run WANT_EXIT CMD...: CMD's stdout to $out, stderr to $err; says whether the exit code is right
run() {
        want=$1
        shift
        "$@" >"$out" 2>"$err"
        rc=$?
        [ "$rc" -eq "$want" ] && return 0
        echo "     exit $rc, want $want: $*"
        return 1
}

# json EXPR: $out is one line of JSON, valid UTF-8, "operation" first and "ok" last, EXPR holds
json() {
        "$py" -c '
import json, sys
lines = open(sys.argv[1], "rb").read().decode("utf-8").splitlines()
assert len(lines) == 1, lines
j = json.loads(lines[0])
assert list(j)[0] == "operation" and list(j)[-1] == "ok", list(j)
sys.exit(0 if eval(sys.argv[2]) else 1)' "$out" "$1"
}

# the version, three ways
run 0 "$scsim" --version && grep -qx 'scsim [0-9]*\.[0-9]*\.[0-9]*' "$out" && ok "--version" ||
        fail "--version"
run 0 "$scsim" -V && grep -qx 'scsim [0-9]*\.[0-9]*\.[0-9]*' "$out" && ok "-V" || fail "-V"
run 0 "$scsim" --version --json &&
        json 'j["operation"] == "version" and j["name"] == "scsim" and j["ok"] and "json-c" in j["libraries"]' &&
        ok "--version --json" || fail "--version --json"
version=$("$scsim" -V | cut -d' ' -f2)
run 0 "$scsim" version --json && json "j['version'] == '$version'" && ok "version --json" ||
        fail "version --json"

# help VERB is VERB --help, for every verb
for verb in version demo run status verify change-code unblock reset-security-state profile state; do
        "$scsim" help "$verb" >"$dir/a" 2>&1
        a=$?
        "$scsim" "$verb" --help >"$dir/b" 2>&1
        b=$?
        if [ "$a" -eq 0 ] && [ "$b" -eq 0 ] && cmp -s "$dir/a" "$dir/b" && [ -s "$dir/a" ]; then
                ok "help $verb = $verb --help"
        else
                cp "$dir/a" "$out"
                cp "$dir/b" "$err"
                fail "help $verb differs from $verb --help (exits $a, $b)"
        fi
done
run 0 "$scsim" help && grep -q 'reset-security-state' "$out" && ok "help lists the verbs" ||
        fail "help"
run 0 "$scsim" verify -h && grep -q -- '-r, --reader' "$out" && grep -q -- '-v, --verbose' "$out" &&
        ok "verify -h shows -r and -v" || fail "verify -h"

# typos get the nearest word
run 2 "$scsim" verfy && grep -q "unknown verb 'verfy'; did you mean 'verify'?" "$err" &&
        ok "verfy -> verify" || fail "unknown verb"
run 2 "$scsim" help statsu && grep -q "did you mean 'status'?" "$err" && ok "help statsu -> status" ||
        fail "help of an unknown verb"
run 2 "$scsim" --verison && grep -q "did you mean '--version'?" "$err" &&
        ok "--verison -> --version" || fail "unknown global option"
run 2 "$scsim" status --jsno && grep -q "did you mean '--json'?" "$err" && ok "--jsno -> --json" ||
        fail "unknown option"
run 2 "$scsim" frobnicate && grep -q "'scsim help' lists the verbs" "$err" &&
        ! grep -q 'did you mean' "$err" && ok "no suggestion for nonsense" || fail "nonsense verb"

# no pcscd: say how to get one
export PCSCLITE_CSOCK_NAME=$dir/no-pcscd.comm
run 3 "$scsim" status && grep -q 'pcscd is not running' "$err" &&
        grep -q 'scsim run -- scsim status' "$err" && grep -q 'start pcscd' "$err" &&
        grep -q "PCSCLITE_CSOCK_NAME=$dir/no-pcscd.comm" "$err" && ok "status with no pcscd" ||
        fail "status with no pcscd"
run 3 "$scsim" status --json &&
        json 'not j["ok"] and j["hresult"] == "SCARD_E_NO_SERVICE" and "scsim run" in j["error"]' &&
        ok "status --json with no pcscd" || fail "status --json with no pcscd"
echo 1234 | run 3 "$scsim" verify -r 0 --pin-stdin && grep -q 'pcscd is not running' "$err" &&
        ok "verify -r with no pcscd" || fail "verify -r with no pcscd"
run 2 "$scsim" verify --ref 0x81 --json && json 'not j["ok"] and "--ref" in j["error"]' &&
        ok "a usage error with --json is a result too" || fail "usage error --json"
unset PCSCLITE_CSOCK_NAME

# a profile name in the wrong case
export SCSIM_PROFILE_PATH=$src/profiles
run 2 "$scsim" state reset --yes --profile PIV "$dir/s" &&
        grep -q "did you mean 'piv'?" "$err" && ok "--profile PIV suggests piv" ||
        fail "--profile PIV"
[ ! -e "$dir/s" ] && ok "nothing written for a bad profile" || fail "a state file was written"
run 125 "$scsim" run --profile PIV -- true && grep -q "did you mean 'piv'?" "$err" &&
        ok "run --profile PIV suggests piv, before starting anything" || fail "run --profile PIV"
run 125 "$scsim" run --slot 0:two-app -- true && grep -q "did you mean 'two-apps'?" "$err" &&
        ok "run --slot 0:two-app suggests two-apps" || fail "run --slot 0:two-app"

# state show --json: the records as data, secrets nowhere
run 0 "$scsim" state reset --yes --profile piv "$dir/s" || fail "state reset"
run 0 "$scsim" state show --json "$dir/s" &&
        json 'j["operation"] == "state show" and j["profile"] == "piv" and j["format"] == 2 and j["chvs"][0] == {"name": "pin", "ref": "80", "scope": "local", "tries_left": 3, "retries": 3, "blocked": False, "enabled": True} and j["applications"][0]["name"] == "piv"' &&
        ok "state show --json" || fail "state show --json"
grep -q -e 123456 -e 12345678 -e 0102030405060708 "$out" && fail "state show --json printed a secret"
run 0 "$scsim" state reset --yes "$dir/d" || fail "state reset (default)"
run 0 "$scsim" state show --json "$dir/d" &&
        json 'j["chvs"][1] == {"name": "puk", "ref": None, "scope": None, "tries_left": 10, "retries": 10, "blocked": False, "enabled": True} and j["keys"][0]["ref"] == "01" and j["files"][0] == {"name": "public", "fid": "0101", "size": 64} and "applications" not in j' &&
        ok "state show --json, default card" || fail "state show --json, default card"
# a path that is not UTF-8 still gives valid JSON
bad=$(printf '%s/caf\351.state' "$dir")
cp "$dir/d" "$bad"
run 0 "$scsim" state show --json "$bad" && json 'j["path"].endswith("caf\ufffd.state")' &&
        ok "state show --json with a Latin-1 path" || fail "state show --json, Latin-1 path"
printf 'not a state file' >"$dir/junk"
run 3 "$scsim" state show --json "$dir/junk" && json 'not j["ok"] and "junk" in j["error"]' &&
        ok "state show --json of a bad file" || fail "state show --json, bad file"
run 2 "$scsim" state shwo "$dir/d" && grep -q "did you mean 'show'?" "$err" && ok "state shwo" ||
        fail "state shwo"

if [ "$failures" -ne 0 ]; then
        echo "$failures check(s) failed"
        exit 1
fi
echo "all checks passed"
