#!/bin/sh
# SPDX-License-Identifier: MIT
# client/ uses public interfaces only: its quoted includes are its own files, its <scsim/...>
# includes are the installed headers, and the scsim command links no bridge library.
# Usage: client_layers.sh SOURCE_DIR
set -eu
src=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
bad=
for f in "$src"/client/*.c "$src"/client/*.h; do
        for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
                [ -f "$src/client/$h" ] || bad="$bad $(basename "$f"):$h"
        done
        for h in $(sed -n 's/^#include <\(scsim\/[^>]*\)>.*/\1/p' "$f"); do
                [ -f "$src/sim/include/$h" ] || [ -f "$src/client/include/$h" ] ||
                        bad="$bad $(basename "$f"):<$h>"
        done
done
[ -z "$bad" ] || fail "client/ includes what is not its own or public:$bad"
echo "ok: client/ includes only its own and public headers"
if sed -n '/target_link_libraries(scsim_cli/,/)/p' "$src/client/CMakeLists.txt" | grep -q scsim_bridge; then
        fail "the scsim command links the bridge library"
fi
echo "ok: the scsim command does not link the bridge"
