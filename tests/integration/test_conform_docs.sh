#!/bin/sh
# SPDX-License-Identifier: MIT
# Every check of every suite (scsim conform --list) is in docs/conformance.md, by its id.
#   test_conform_docs.sh SCSIM DOCS
set -eu
scsim=${1:?usage: test_conform_docs.sh SCSIM DOCS} docs=${2:?}
missing=0 total=0
for suite in iso7816 piv openpgp; do
        for id in $("$scsim" conform --suite "$suite" --list | sed -n 's/^\([a-z0-9][a-z0-9.-]*\) .*/\1/p'); do
                total=$((total + 1))
                if ! grep -q "\`$id\`" "$docs"; then
                        echo "FAIL: $suite check $id is not in $docs"
                        missing=$((missing + 1))
                fi
        done
done
[ "$total" -gt 40 ] || { echo "FAIL: only $total checks listed"; exit 1; }
[ "$missing" -eq 0 ] || exit 1
echo "ok: the $total checks are all in $docs"
