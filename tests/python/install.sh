#!/bin/sh
# SPDX-License-Identifier: MIT
# pip installs python/ offline into a venv that sees Debian's pyscard and pytest, then runs
# docs/python.md's in-process example there through the plugin's entry point (no -p, no PYTHONPATH).
set -eu
python=$1 src=$2 doc=$3 work=$4
here=$(dirname "$0")
rm -rf "$work"
mkdir -p "$work"
# A copy: setuptools builds in the tree it is given, and the source tree stays clean.
cp -r "$src" "$work/src"
rm -rf "$work/src/build" "$work/src"/*.egg-info
"$python" -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install --quiet --no-index --no-build-isolation "$work/src"
"$work/venv/bin/python" -c 'import scsim, sys; sys.exit(0 if "/venv/" in scsim.__file__ else 1)' || {
        echo "FAIL: the venv imports scsim from elsewhere"
        exit 1
}
mkdir "$work/example"
"$python" "$here/extract_example.py" "$doc" test_card_example.py "$work/example"
cd "$work/example"
unset PYTHONPATH
"$work/venv/bin/python" -m pytest -p no:cacheprovider -q --basetemp="$work/tmp" test_card_example.py
echo "ok: pip install offline, the plugin found by its entry point, the docs' example passes"
