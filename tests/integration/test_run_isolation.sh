#!/bin/sh
# SPDX-License-Identifier: MIT
# scsim run where CI runs: root with CAP_SYS_ADMIN, root without it (default containers), an
# unprivileged user (user namespaces), and the messages where a mode cannot work.
# Usage: test_run_isolation.sh SCSIM SCSIM_VPCD   (as root; creates and removes a user)
set -eu
scsim=$1 vpcd=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in setpriv useradd userdel unshare opensc-tool; do
        command -v "$tool" >/dev/null || { echo "skipped: no $tool"; exit 77; }
done

user=scsim-it-$$
work=$(mktemp -d)
cleanup() {
        # The user's processes end with scsim run; nothing of theirs may outlive the test.
        pkill -KILL -u "$user" 2>/dev/null || true
        userdel "$user" 2>/dev/null || true
        rm -rf "$work"
}
trap cleanup EXIT INT TERM
chmod 0755 "$work"
# An installed layout (scsim-vpcd beside scsim) the test user can read, wherever the build is.
mkdir "$work/bin" "$work/tmp"
cp "$scsim" "$work/bin/scsim"
cp "$vpcd" "$work/bin/scsim-vpcd"
chmod 1777 "$work/tmp"
export TMPDIR="$work/tmp"
run="$work/bin/scsim run -v"
# COMMAND of every run: the card is there through PC/SC.
probe="$work/bin/probe"
printf '#!/bin/sh\nopensc-tool -r "$SCSIM_READER" -a >/dev/null && echo card-present\n' > "$probe"
chmod 0755 "$probe"
nocap="setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin"

# expect NAME MODE OUTPUT_FILE: the run worked in MODE and COMMAND saw the card.
expect() {
        grep -q "isolation $2" "$3" || fail "$1: not in isolation $2: $(cat "$3")"
        grep -q card-present "$3" || fail "$1: no card: $(cat "$3")"
        echo "ok: $1: isolation $2, the card is present"
}

$run -- $probe > "$work/out" 2>&1 || fail "root: $(cat "$work/out")"
expect "root with CAP_SYS_ADMIN" mount "$work/out"

$nocap $run -- $probe > "$work/out" 2>&1 || fail "root without CAP_SYS_ADMIN: $(cat "$work/out")"
expect "root without CAP_SYS_ADMIN, user namespaces allowed" user "$work/out"

# Root without CAP_SYS_ADMIN and no namespace at all, as in a default container: pcscd as it is.
# A /run/pcscd of its own (a tmpfs in a mount namespace made before the capability is dropped)
# stands for the container's, so the host's is never touched.
inside="mount -t tmpfs none /run/pcscd && $nocap $run --isolation none -- $probe &&
        test ! -e /run/pcscd/pcscd.pid && echo pid-file-gone"
unshare -m sh -c "mkdir -p /run/pcscd && $inside" > "$work/out" 2>&1 || fail "none: $(cat "$work/out")"
expect "root without CAP_SYS_ADMIN, no namespace" none "$work/out"
grep -q pid-file-gone "$work/out" || fail "none: pcscd's pid file left behind"

# ... and when another pcscd serves /run/pcscd there: a message that says what to do.
other="pcscd --foreground --config $work/tmp >/dev/null 2>&1 & p=\$!
        while [ ! -S /run/pcscd/pcscd.comm ]; do inotifywait -qq -t 1 -e create /run/pcscd 2>/dev/null || :; done
        $nocap $run --isolation none -- true; echo rc=\$?; kill \$p; wait \$p"
unshare -m sh -c "mkdir -p /run/pcscd && mount -t tmpfs none /run/pcscd && $other" > "$work/out" 2>&1 || true
grep -q 'rc=125' "$work/out" || fail "another pcscd: want exit 125: $(cat "$work/out")"
grep -q 'already serves /run/pcscd' "$work/out" && grep -q 'Ways out: stop it' "$work/out" ||
        fail "another pcscd: no message that says what to do: $(cat "$work/out")"
echo "ok: another pcscd: exit 125 and what to do"

# An unprivileged user: a user + mount namespace.
useradd --no-create-home --home-dir "$work" --shell /bin/sh "$user"
su "$user" -s /bin/sh -c "TMPDIR=$TMPDIR $run -- $probe" > "$work/out" 2>&1 ||
        fail "user: $(cat "$work/out")"
expect "unprivileged user" user "$work/out"

# ... on a machine where no root run ever made /run/pcscd.
unshare -m sh -c "mount -t tmpfs none /run && su $user -s /bin/sh -c \"TMPDIR=$TMPDIR $run -- $probe\"" \
        > "$work/out" 2>&1 || fail "user, no /run/pcscd: $(cat "$work/out")"
expect "unprivileged user, no /run/pcscd on the machine" user "$work/out"

# Modes the user cannot have: exit 125 and what is missing.
set +e
su "$user" -s /bin/sh -c "TMPDIR=$TMPDIR $run --isolation mount -- true" > "$work/out" 2>&1
rc_mount=$?
su "$user" -s /bin/sh -c "TMPDIR=$TMPDIR $run --isolation none -- true" > "$work/out2" 2>&1
rc_none=$?
set -e
[ "$rc_mount" = 125 ] && grep -q 'needs root with CAP_SYS_ADMIN' "$work/out" ||
        fail "user, --isolation mount: exit $rc_mount: $(cat "$work/out")"
[ "$rc_none" = 125 ] && grep -q 'needs root' "$work/out2" ||
        fail "user, --isolation none: exit $rc_none: $(cat "$work/out2")"
echo "ok: a mode the user cannot have: exit 125 and what is missing"
[ -z "$(ls -A "$TMPDIR")" ] || fail "left behind: $(ls -A "$TMPDIR")"
echo "ok: every run removed its directory"
