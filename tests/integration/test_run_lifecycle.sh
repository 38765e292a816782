#!/bin/sh
# SPDX-License-Identifier: MIT
# scsim run: exit codes, teardown on every path (no orphan pcscd or bridge, no leftover directory), --start/--stop.
# Usage: test_run_lifecycle.sh SCSIM
set -eu
scsim=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TMPDIR="$work/tmp"
mkdir "$TMPDIR"

# Run inside COMMAND: record the daemons' pids (children of scsim run, pcscd from its pid file).
record='pgrep -P "$PPID" > "$PIDS"; tr -d "\0" < "$SCSIM_RUN_DIR/run/pcscd.pid" >> "$PIDS"; echo >> "$PIDS"'
export PIDS="$work/pids"

assert_clean() {
        [ -z "$(ls -A "$TMPDIR")" ] || fail "$1: left behind $(ls -A "$TMPDIR")"
        for p in $(cat "$PIDS"); do
                [ "$p" = "$(cat "$work/self" 2>/dev/null)" ] && continue
                # A zombie has ended; only its parent (maybe an init that does not reap) keeps the entry.
                state=$(ps -o stat= -p "$p" 2>/dev/null || true)
                case "$state" in "" | Z*) ;; *) fail "$1: process $p survived: $(ps -o pid,stat,args -p "$p")" ;; esac
        done
        echo "ok: $1: no leftover directory, no orphan"
}

set +e
"$scsim" run -- sh -c "$record; echo \$\$ > $work/self; exit 7"
rc=$?
set -e
[ "$rc" = 7 ] || fail "exit code $rc, want the command's 7"
echo "ok: the command's exit code is returned"
assert_clean "command failure"

set +e
"$scsim" run -- /nonexistent/command
rc=$?
set -e
[ "$rc" = 127 ] || fail "missing command: exit $rc, want 127"
[ -z "$(ls -A "$TMPDIR")" ] || fail "missing command: left $(ls -A "$TMPDIR")"
echo "ok: a missing command gives 127"

# SIGTERM while the command runs: the command blocks on a fifo we never write.
mkfifo "$work/started" "$work/block"
"$scsim" run -- sh -c "$record; echo \$\$ > $work/self; echo go > $work/started; exec cat $work/block" &
runner=$!
read -r _ < "$work/started"
kill -TERM "$runner"
set +e
wait "$runner"
rc=$?
set -e
[ "$rc" = 143 ] || fail "SIGTERM: exit $rc, want 143"
echo "ok: SIGTERM ends scsim run with 143"
assert_clean "SIGTERM"

# Detached form for CI jobs with several steps.
env_text=$("$scsim" run --start --slots 2)
eval "$env_text"
[ -n "${SCSIM_RUN_DIR:-}" ] && [ "$SCSIM_READER_1" = "Virtual PCD 00 01" ] ||
        fail "--start printed: $env_text"
opensc-tool -r "$SCSIM_READER" -a >/dev/null || fail "--start: no card"
[ "${SCSIM_CONTROL:-}" = "$SCSIM_RUN_DIR/control/control.sock" ] &&
        "$scsim" ctl status >/dev/null || fail "--start: no control socket for scsim ctl ($env_text)"
sup=$(cat "$SCSIM_RUN_DIR/scsim-run.pid")
{ echo "$sup"; pgrep -P "$sup"; tr -d '\0' < "$SCSIM_RUN_DIR/run/pcscd.pid"; echo; } > "$PIDS"
"$scsim" run --stop
[ ! -e "$SCSIM_RUN_DIR" ] || fail "--stop left $SCSIM_RUN_DIR"
assert_clean "--start/--stop"

set +e
"$scsim" run --profile no-such-profile -- true 2> "$work/err"
rc=$?
"$scsim" run --slots 17 -- true 2>/dev/null
rc17=$?
"$scsim" run --no-such-option -- true 2>/dev/null
rcopt=$?
set -e
# scsim run's own failures are 125, as env(1)'s and timeout(1)'s: never one of COMMAND's codes.
[ "$rc" = 125 ] && grep -q "no-such-profile" "$work/err" || fail "bad profile: exit $rc, $(cat "$work/err")"
[ "$rc17" = 125 ] || fail "--slots 17: exit $rc17, want 125"
[ "$rcopt" = 125 ] || fail "unknown option: exit $rcopt, want 125"
echo "ok: bad profile, bad --slots and an unknown option exit 125"
assert_clean "usage errors"

# A command that exists but cannot run: 126.
printf 'not a program\n' > "$work/notexec"
chmod 0644 "$work/notexec"
set +e
"$scsim" run -- "$work/notexec" 2>/dev/null
rc=$?
set -e
[ "$rc" = 126 ] || fail "non-executable command: exit $rc, want 126"
echo "ok: a command that cannot run gives 126"
assert_clean "command not runnable"

# No pcscd on PATH: exit 125 and the Debian package to install.
set +e
PATH=/nonexistent "$scsim" run -- /bin/true 2> "$work/err"
rc=$?
set -e
[ "$rc" = 125 ] && grep -q 'apt-get install pcscd' "$work/err" || fail "no pcscd: exit $rc: $(cat "$work/err")"
echo "ok: without pcscd: exit 125 and the package to install"
assert_clean "no pcscd"
