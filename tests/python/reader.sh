#!/bin/sh
# SPDX-License-Identifier: MIT
# scsim.Run and scsim_reader through a real pcscd: python/tests' reader tests, then docs/python.md's
# reader example as shown, each a pytest session of its own with the plugin.
set -eu
python=$1 src=$2 doc=$3 work=$4
here=$(dirname "$0")
rm -rf "$work"
mkdir -p "$work/example"
pytest="$python -m pytest -p scsim.pytest_plugin -p no:cacheprovider -q"
$pytest --basetemp="$work/tmp" "$src/tests/test_run.py" "$src/tests/test_reader.py"
"$python" "$here/extract_example.py" "$doc" test_reader_example.py "$work/example"
$pytest --basetemp="$work/tmp-example" "$work/example/test_reader_example.py"
