# SPDX-License-Identifier: MIT
# What the client scripts (piv_*.sh, openpgp_*.sh) share, sourced after `set -eu`:
# they run under `scsim run` (SCSIM_READER), skip (exit 77) without their
# tools, work in a scratch directory, and count steps that must succeed (ok)
# or fail (no), keeping each step's output for has/lacks and for the report.

: "${SCSIM_READER:?run me under scsim run}"

need_tools() {
        for tool in "$@"; do
                if ! command -v "$tool" >/dev/null 2>&1; then
                        echo "skipped: $tool is not installed (scripts/setup installs it)"
                        exit 77
                fi
        done
}

# MOD: OVERRIDE when given and not empty, else the module FILE that Debian's
# PACKAGE put in /usr/lib/ARCH/ on any architecture; skip without it.
# pkcs11_module PACKAGE FILE [OVERRIDE]
pkcs11_module() {
        MOD=${3:-$(dpkg -L "$1" 2>/dev/null | awk -v f="$2" \
                'index($0, "/usr/lib/") == 1 && split($0, p, "/") == 5 && p[5] == f' | head -n 1)}
        if [ -z "$MOD" ] || [ ! -e "$MOD" ]; then
                echo "skipped: no PKCS#11 module $2 (package $1)"
                exit 77
        fi
}

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
OUT="$W/out"
steps=0

fail() {
        echo "FAIL: $*" >&2
        echo "--- last output ---" >&2
        cat "$OUT" >&2 || true
        exit 1
}
ok() {
        steps=$((steps + 1))
        "$@" >"$OUT" 2>&1 || fail "expected success: $*"
}
no() {
        steps=$((steps + 1))
        if "$@" >"$OUT" 2>&1; then fail "expected failure: $*"; fi
}
has() {
        grep -q -- "$1" "$OUT" || fail "output lacks '$1'"
}
lacks() {
        if grep -q -- "$1" "$OUT"; then fail "output has '$1'"; fi
}
