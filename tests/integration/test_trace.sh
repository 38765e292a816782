#!/bin/sh
# SPDX-License-Identifier: MIT
# The APDU trace names commands and status words, and never holds PIN bytes unless asked.
# Usage: test_trace.sh SCSIM PYTHON TESTDIR [ARTIFACT_DIR]   (the masked trace is kept there)
set -eu
scsim=$1 py=$2 dir=$3 keep=${4:-}
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

PYTHONPATH=$dir "$scsim" run --trace "$work/masked" -- "$py" "$dir/verify_pin.py"
grep -q ' slot 0 VERIFY C: 00 20 00 01 04 \[4 bytes masked\] R: - SW 9000 ok$' "$work/masked" ||
        fail "no masked VERIFY line: $(cat "$work/masked")"
grep -q ' slot 0 CHANGE REFERENCE DATA C: 00 24 00 01 08 \[8 bytes masked\]' "$work/masked" ||
        fail "no masked CHANGE REFERENCE DATA line"
if grep -Eq '31 32 33 34|35 36 37 38' "$work/masked"; then
        fail "PIN bytes in the trace: $(cat "$work/masked")"
fi
grep -q ' slot 0 power on$' "$work/masked" || fail "no power on event"
echo "ok: masked trace: $(grep VERIFY "$work/masked")"
if [ -n "$keep" ]; then
        cp "$work/masked" "$keep/trace_masked.trace"
fi

PYTHONPATH=$dir "$scsim" run --trace "$work/clear" --trace-secrets -- "$py" "$dir/verify_pin.py"
grep -q 'VERIFY C: 00 20 00 01 04 31 32 33 34 R: - SW 9000 ok$' "$work/clear" ||
        fail "--trace-secrets did not show the PIN: $(cat "$work/clear")"
echo "ok: --trace-secrets shows the PIN bytes"
