#!/bin/sh
# SPDX-License-Identifier: MIT
# What scsim run hands on: no SCSIM_* secret in the environment of pcscd, scsim-vpcd or COMMAND;
# a scsim process that cannot be dumped; a supervisor that gives up says so to --wait at once.
# Usage: test_run_secrets.sh SCSIM   (as root; creates and removes a user)
set -eu
scsim=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
user=scsim-sec-$$
work=$(mktemp -d)
cleanup() {
        [ -z "${SCSIM_RUN_DIR:-}" ] || "$scsim" run --stop "$SCSIM_RUN_DIR" 2>/dev/null || true
        pkill -KILL -u "$user" 2>/dev/null || true
        userdel "$user" 2>/dev/null || true
        rm -rf "$work"
}
trap cleanup EXIT INT TERM
chmod 0755 "$work"
export TMPDIR="$work"

# COMMAND writes out its own environment and those of its siblings, scsim run's daemons.
cat > "$work/envs.sh" <<'EOF'
#!/bin/sh
for p in $$ $(pgrep -P "$PPID"); do
        tr '\0' '\n' < "/proc/$p/environ" | sed "s|^|$(cat /proc/$p/comm) |"
done > "$OUT"
EOF
chmod 0755 "$work/envs.sh"
SCSIM_PIN=2468 SCSIM_NEW_PIN=1357 SCSIM_PUK=86427531 SCSIM_ADMIN_KEY=0011 \
        SCSIM_PROFILE_PATH=/nowhere OUT="$work/envs" "$scsim" run -- "$work/envs.sh"
grep -q '^pcscd ' "$work/envs" && grep -q '^scsim-vpcd ' "$work/envs" && grep -q '^envs.sh ' "$work/envs" ||
        fail "did not see the three environments: $(cut -d' ' -f1 "$work/envs" | sort -u)"
if grep -E 'SCSIM_(PIN|NEW_PIN|PUK|ADMIN_KEY)=|2468|1357|86427531' "$work/envs"; then
        fail "a secret reached a child of scsim run"
fi
grep -q '^envs.sh SCSIM_PROFILE_PATH=/nowhere$' "$work/envs" || fail "SCSIM_PROFILE_PATH was dropped"
echo "ok: no SCSIM_* secret reaches pcscd, scsim-vpcd or COMMAND; other variables do"

# Not dumpable: /proc/PID of a process that cannot be dumped belongs to root, whoever runs it.
# COMMAND, started by execve, is dumpable again. Run as a user, where that shows.
useradd --no-create-home --home-dir "$work" --shell /bin/sh "$user"
mkfifo "$work/hold" "$work/started"
chmod 0666 "$work/hold" "$work/started"
mkdir "$work/tmp"
chmod 1777 "$work/tmp"
{ su "$user" -s /bin/sh -c "TMPDIR=$work/tmp $scsim run -- sh -c 'echo \$PPID \$\$ > $work/started; read x < $work/hold'" ||
        echo failed > "$work/started"; } &
runner=$!
read -r scsim_pid cmd_pid < "$work/started"
[ "$scsim_pid" != failed ] || fail "the user's scsim run failed before COMMAND"
owner_scsim=$(stat -c %U "/proc/$scsim_pid/environ")
owner_cmd=$(stat -c %U "/proc/$cmd_pid/environ")
echo done > "$work/hold"
wait "$runner"
[ "$owner_scsim" = root ] || fail "scsim is dumpable: /proc/$scsim_pid belongs to $owner_scsim"
[ "$owner_cmd" = "$user" ] || fail "COMMAND is not dumpable: /proc/$cmd_pid belongs to $owner_cmd"
echo "ok: the scsim process is not dumpable, COMMAND is"

# A supervisor that gives up: --wait says so at once instead of waiting out its --timeout.
eval "$("$scsim" run --start)"
pid_file="$SCSIM_RUN_DIR/run/pcscd.pid"
i=0
while [ "$i" -lt 10 ]; do
        kill -KILL "$(tr -d '\0' < "$pid_file")"
        "$scsim" run --wait --timeout 60 || fail "pcscd restart $i: --wait failed"
        i=$((i + 1))
done
echo "ok: ten pcscd deaths, ten restarts"
kill -KILL "$(tr -d '\0' < "$pid_file")"
set +e
"$scsim" run --wait --timeout 600 2> "$work/err"
rc=$?
set -e
[ "$rc" = 125 ] && grep -q 'gave up: pcscd died 11 times' "$work/err" ||
        fail "after the eleventh death: --wait exit $rc: $(cat "$work/err")"
echo "ok: --wait reports the give-up at once (exit 125)"
"$scsim" run --stop
unset SCSIM_RUN_DIR

# scsim-vpcd gone: pcscd is not restarted into a crash loop; --wait says so.
eval "$("$scsim" run --start)"
kill -TERM "$(pgrep -P "$(cat "$SCSIM_RUN_DIR/scsim-run.pid")" -x scsim-vpcd)"
# Debian's vpcd aborts pcscd at its next poll; the supervisor then gives up instead of restarting.
while [ ! -e "$SCSIM_RUN_DIR/scsim-run.failed" ]; do
        inotifywait -qq -t 1 -e create -e moved_to "$SCSIM_RUN_DIR" 2>/dev/null || :
done
set +e
"$scsim" run --wait --timeout 600 2> "$work/err"
rc=$?
set -e
[ "$rc" = 125 ] && grep -q 'scsim-vpcd is gone' "$work/err" || fail "bridge gone: --wait exit $rc: $(cat "$work/err")"
echo "ok: scsim-vpcd gone: the supervisor gives up and --wait says why"
"$scsim" run --stop
unset SCSIM_RUN_DIR
