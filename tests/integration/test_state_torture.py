# SPDX-License-Identifier: MIT
"""Anti-tearing through the bridge: wrong (and some right) PIN VERIFYs with SIGKILL at random
instants, and at fixed stages of the state writes (SCSIM_TEST_FAULT, which scsim-vpcd turns into
the library's fault hook), restarting scsim-vpcd on the same --state file each time. After every
kill the file must load, the tries must not grow (a right code may restore them), and a blocked
PIN must stay blocked. A right VERIFY writes the decrement, synced, then the restore, not waited
for; a kill at each stage of either must end exactly as the stage says, and a kill can cost the
restore at most, never give a try. On a full counter the restore is put off (written with the
next write or when the card goes), so a second right VERIFY finds its decrement on the disk
already and writes nothing: the file is checked unchanged, and a kill costs that one try.
Needs no pcscd: this script plays vpcd.

Usage: test_state_torture.py SCSIM_VPCD SCSIM [TRIALS]"""
import os
import random
import subprocess
import sys
import tempfile
import time

from scsimtest import check, fail
from vpcd_peer import accept, frame, listen_loopback, recv_frame

vpcd = sys.argv[1]
scsim = sys.argv[2]
trials = int(sys.argv[3]) if len(sys.argv) > 3 else 240
seed = int(os.environ.get("TORTURE_SEED", str(int(time.time()))))
rng = random.Random(seed)
print("torture: %d trials, seed %d (TORTURE_SEED=%d reproduces the choices)" % (trials, seed, seed))

WRONG = bytes.fromhex("0020000104 31313131".replace(" ", ""))
RIGHT = bytes.fromhex("0020000104 31323334".replace(" ", ""))
QUERY = bytes.fromhex("00200001")
UNBLOCK = bytes.fromhex("002C010108 3132333435363738".replace(" ", ""))
MAX_TRIES = 3
# (stage of the Nth write, what the counter is after the kill: "same", "spent" or "full")
FAULTS_WRONG = [("before-write:1", "same"), ("after-write:1", "spent"), ("after-sync:1", "spent")]
FAULTS_RIGHT = FAULTS_WRONG + [("before-write:2", "spent"), ("after-write:2", "full")]

work = tempfile.mkdtemp(prefix="scsim-torture-")
state = os.path.join(work, "card.state")
server = listen_loopback()
port = server.getsockname()[1]
log = open(os.path.join(work, "bridge.log"), "w+")


def start(fault=None):
    env = dict(os.environ)
    env.pop("SCSIM_TEST_FAULT", None)
    if fault:
        env["SCSIM_TEST_FAULT"] = fault
    p = subprocess.Popen([vpcd, "--vpcd", "127.0.0.1:%d" % port, "--state", state], stderr=log,
                         env=env)
    try:
        c = accept(server)
    except OSError:
        p.kill()
        log.seek(0)
        fail("the bridge did not come back on its state file: %s" % log.read()[-2000:])
    c.sendall(frame(b"\x01"))  # power on
    return p, c


def sw(c, apdu):
    c.sendall(frame(apdu))
    r = recv_frame(c)
    if r is None or len(r) < 2:
        return None
    return r[-2] << 8 | r[-1]


def tries(c):
    s = sw(c, QUERY)
    if s == 0x6983:
        return 0
    if s is not None and s & 0xFFF0 == 0x63C0:
        return s & 0x0F
    fail("VERIFY query answered %s" % (None if s is None else "%04X" % s))


kills = {"random": 0, "fault": 0}
kills_at = {f + k: 0 for f, _ in FAULTS_RIGHT for k in (" (right)", " (wrong)")}
answered_before_kill = 0
full_rights = 0
blocked_rounds = 0
p, c = start()
try:
    for t in range(trials):
        before = tries(c)
        right = before > 0 and rng.random() < 0.2
        # a blocked PIN is answered without a write, so only then can no fault fire
        fault = expect = None
        if t % 8 == 7 and before > 0:
            # fault trials alternate wrong and right, and walk through every stage of each
            right = kills["fault"] % 2 == 1
            if right and before == MAX_TRIES:
                # from a full counter the restore is put off, with no second write to kill in
                check(sw(c, WRONG) == 0x63C0 | (MAX_TRIES - 1), "trial %d: spend a try" % t)
                before -= 1
            faults = FAULTS_RIGHT if right else FAULTS_WRONG
            fault, expect = faults[(kills["fault"] // 2) % len(faults)]
        if fault:
            # restart with the fault armed: the next state write kills the bridge at that stage
            p.kill()
            p.wait()
            c.close()
            p, c = start(fault)
            kills["fault"] += 1
        unchanged = None
        if right and not fault and before == MAX_TRIES:
            # the first right code writes its decrement; the next must write nothing at all
            check(sw(c, RIGHT) == 0x9000, "trial %d: a right code on a full counter" % t)
            with open(state, "rb") as f:
                unchanged = f.read()
            full_rights += 1
        c.sendall(frame(RIGHT if right else WRONG))
        answer = None
        if fault:
            answer = recv_frame(c)  # the bridge dies by itself inside the write
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                fail("trial %d: %s did not stop the bridge" % (t, fault))
        else:
            delay = rng.choice([0, 0, rng.uniform(0, 0.0005), rng.uniform(0, 0.003)])
            if delay:
                time.sleep(delay)
            if rng.random() < 0.25:
                answer = recv_frame(c)
            p.kill()
            p.wait(60)
            kills["random"] += 1
        c.close()
        if unchanged is not None:
            with open(state, "rb") as f:
                check(f.read() == unchanged,
                      "trial %d: a right code on a full counter wrote the state file" % t)
        p, c = start()
        after = tries(c)
        got = None if not answer or len(answer) < 2 else answer[-2] << 8 | answer[-1]
        if got is not None:
            answered_before_kill += 1
        where = "trial %d (%s PIN, %s, tries %d -> %d, answer %s)" % (
            t, "right" if right else "wrong", fault or "random kill", before, after,
            "none" if got is None else "%04X" % got)
        if before == 0:
            check(after == 0, where + ": a blocked PIN stays blocked")
        elif right:
            check(after in (before, before - 1, MAX_TRIES),
                  where + ": a right code leaves, spends or restores the try, nothing else")
            if got == 0x9000 and before < MAX_TRIES:
                check(after == MAX_TRIES, where + ": 9000 left the card after the restore was written")
            if before == MAX_TRIES and (got == 0x9000 or unchanged is not None):
                check(after == MAX_TRIES - 1,
                      where + ": a restore put off is lost with the process: one try, no more")
        else:
            check(after in (before, before - 1), where + ": a wrong code never gives a try back")
            if got is not None and got & 0xFFF0 == 0x63C0:
                check(after == got & 0x0F, where + ": the counter the card answered is on disk")
        if fault:
            want = {"same": before, "spent": before - 1, "full": MAX_TRIES}[expect]
            check(after == want, where + ": a kill at %s leaves %d tries" % (fault, want))
            kills_at[fault + (" (right)" if right else " (wrong)")] += 1
        if after == 0:
            blocked_rounds += 1
            if blocked_rounds >= 2:  # blocked through two kills: unblock, never under a kill
                check(sw(c, UNBLOCK) == 0x9000, "unblock with the PUK")
                check(tries(c) == MAX_TRIES, "unblocked: tries back to %d" % MAX_TRIES)
                blocked_rounds = 0
    r = subprocess.run([scsim, "state", "show", state], capture_output=True, text=True)
    check(r.returncode == 0, "scsim state show reads the file after %d kills" % trials)
finally:
    if p.poll() is None:
        p.kill()
        p.wait()
print("torture: %d random kills, %d kills inside the write path, %d answers seen before a kill; "
      "no try given back, blocked stayed blocked" % (kills["random"], kills["fault"],
                                                      answered_before_kill))
print("torture: %d right codes on a full counter wrote nothing" % full_rights)
print("torture: kills at a stage: " + ", ".join("%s %d" % (k, v) for k, v in kills_at.items() if v))
