#!/bin/sh
# SPDX-License-Identifier: MIT
# scsim conform against vsmartcard's vicc on vpcd's second reader of a private pcscd.
#   test_conform_vicc.sh SCSIM PYTHON TESTDIR DOCS ARTIFACTS
# vicc connects to vpcd as a card does when vpcd listens; scsim run gives that
# mode with --removable where it has the option (else it is its only mode).
set -eu
scsim=${1:?usage: test_conform_vicc.sh SCSIM PYTHON TESTDIR DOCS ARTIFACTS}
py=$2 dir=$3 docs=$4 artifacts=$5
mode=
if "$scsim" run --help 2>&1 | grep -q -- --removable; then
        mode=--removable
fi
exec "$scsim" run $mode -- "$py" "$dir/test_conform_vicc.py" "$scsim" "$dir/test_conform_vicc.yaml" \
        "$docs" "$artifacts"
