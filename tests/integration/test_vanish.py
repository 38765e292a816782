# SPDX-License-Identifier: MIT
"""A PC/SC client SIGKILLed while it holds a transaction on a verified card.

What pcscd 1.9.9 does, and a real card would see: when the dead client's socket closes, pcscd
drops its handle with SCARD_RESET_CARD, so the card gets a warm reset (the trace shows "reset")
and loses its security state (pcscd may also power an idle card off first, which clears it
too); its retry counter is untouched. A client already blocked in
SCardBeginTransaction is woken with SCARD_W_RESET_CARD, reconnects and gets the transaction; a
client arriving later gets it at once. Either finds VERIFY query = 63C3, and the bridge serves on.

A race in pcscd itself: its SCardDisconnect releases the dead handle's transaction lock before
it resets the card, so the next client can win the transaction and see the dead client's
verified state (9000) for a moment; the reset then lands inside its transaction and its next
call returns SCARD_W_RESET_CARD. A real card behind pcscd sees the same. The test accepts both
orders, reports which one it saw, and checks that the reset always comes.

Usage: test_vanish.py TRACE   (inside scsim run --trace TRACE)"""
import os
import re
import signal
import subprocess
import sys
import threading

from smartcard import scard

from scsimtest import PIN_BAD, PIN_OK, Card, check, fail, verify, verify_query

WAIT = 60  # generous bound on how long a freed transaction may take to reach the next client


def child():
    """Takes the transaction, verifies the PIN, says so, then waits to be killed."""
    c = Card()
    hr = scard.SCardBeginTransaction(c.handle)
    if hr != scard.SCARD_S_SUCCESS:
        fail("child: SCardBeginTransaction: " + scard.SCardGetErrorMessage(hr))
    c.expect_sw(verify(PIN_OK), 0x9000, "child: right PIN inside its transaction")
    c.expect_sw("00A4020C020102", 0x9000, "child: SELECT the PIN-protected EF")
    print("holding", flush=True)
    sys.stdin.read()  # never returns before the SIGKILL: the parent keeps the pipe open
    sys.exit(0)


def spawn_holder():
    p = subprocess.Popen([sys.executable, __file__, "--child"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    for line in p.stdout:
        if line.startswith("holding"):
            return p
    fail("the holding client exited %s before taking the transaction" % p.wait())


def kill(p):
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    check(p.returncode == -signal.SIGKILL, "holding client SIGKILLed mid-transaction")


def begin_bounded(card, what):
    """SCardBeginTransaction in a thread, so a hang fails the test instead of blocking it."""
    res = {}
    done = threading.Event()

    def run():
        res["hr"] = scard.SCardBeginTransaction(card.handle)
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return res, done


# What pcscd answers a handle whose card was reset under it: W_RESET_CARD once the handle is
# told, PROTO_MISMATCH when the reset cleared the card's protocol before that.
RESET_SIGNALS = (scard.SCARD_W_RESET_CARD, scard.SCARD_E_PROTO_MISMATCH)


class Restart(Exception):
    pass


def session(card, what, pending=None):
    """As a robust PC/SC client: take the transaction and run a checked sequence, starting over
    after a reset signal. Returns (reset signals seen, times the dead client's state was seen)."""
    signals = raced = 0
    while True:
        res, done = pending or begin_bounded(card, what)
        pending = None
        if not done.wait(WAIT):
            fail("%s: no transaction within %d s" % (what, WAIT))
        try:
            if res["hr"] in RESET_SIGNALS:
                raise Restart(res["hr"])
            if res["hr"] != scard.SCARD_S_SUCCESS:
                fail("%s: SCardBeginTransaction: %s" % (what, scard.SCardGetErrorMessage(res["hr"])))
            steps = [(verify_query(), 0x63C3), ("00B0000000", 0x6986), (verify(PIN_OK), 0x9000),
                     (verify_query(), 0x9000), ("0020FF01", 0x9000)]
            for n, (apdu, want) in enumerate(steps):
                hr, r = scard.SCardTransmit(card.handle, card.proto, list(bytes.fromhex(apdu)))
                if hr in RESET_SIGNALS:
                    raise Restart(hr)
                if hr != scard.SCARD_S_SUCCESS:
                    fail("%s: %s: %s" % (what, apdu, scard.SCardGetErrorMessage(hr)))
                sw = (r[-2] << 8) | r[-1]
                if n == 0 and sw == 0x9000:
                    # pcscd's race: the dead client's state, the reset is still to come
                    raced += 1
                    if raced > 100000:
                        fail("%s: the dead client's verified state outlived 100000 queries" % what)
                    scard.SCardEndTransaction(card.handle, scard.SCARD_LEAVE_CARD)
                    break
                check(sw == want, "%s: %s -> %04X (want %04X)" % (what, apdu, sw, want))
            else:
                hr = scard.SCardEndTransaction(card.handle, scard.SCARD_LEAVE_CARD)
                check(hr == scard.SCARD_S_SUCCESS, "%s ends its transaction" % what)
                return signals, raced
        except Restart as why:
            signals += 1
            print("note: %s: %s, reconnecting" % (what, scard.SCardGetErrorMessage(why.args[0])))
            if signals > 20:
                fail("%s: more reset signals than one reset can explain" % what)
            scard.SCardEndTransaction(card.handle, scard.SCARD_LEAVE_CARD)
            card.reconnect(scard.SCARD_LEAVE_CARD)


if sys.argv[1:] == ["--child"]:
    child()
trace = sys.argv[1]

# 1. A client is already waiting for the transaction when the holder dies: it must be told of
# the reset (its handle existed when pcscd reset the card).
waiter = Card()
waiter.expect_sw(verify(PIN_BAD), 0x63C2, "counter at 2 before the scenario")
waiter.expect_sw(verify_query(), 0x63C2, "query: 2 tries left")
holder = spawn_holder()
pending = begin_bounded(waiter, "waiting client")
check(not pending[1].is_set(), "waiting client is blocked while the holder's transaction lasts")
kill(holder)
signals, raced = session(waiter, "waiting client", pending)
check(signals >= 1, "waiting client was told of the reset (%d signals, %d early answers)" % (signals, raced))
waiter.close()

# 2. Nobody waits: a client that connects after the holder died gets the card.
holder = spawn_holder()
kill(holder)
late = Card()
signals, raced = session(late, "late client")
check(True, "late client done (%d reset signals, %d early answers)" % (signals, raced))
check(len(late.serial()) == 8, "GET DATA still answers")
late.close()

# The trace (started anew by scsim run): each holder's VERIFY is followed by a reset of the slot
# before the next client presents the PIN. pcscd also powers an idle card off after a grace
# period (a few hundred ms), which clears the security state as well: on a loaded machine that
# may come first, and is as good for the next client.
with open(trace) as f:
    events = [m.group(1) for m in (re.search(r" slot 0 (reset|power off|power on|VERIFY C: 00 20 00 01 04)",
                                             line) for line in f) if m]
verifies = [i for i, e in enumerate(events) if e.startswith("VERIFY")]
# VERIFYs with data: waiter's wrong PIN, holder 1, waiter's right PIN, holder 2, late client's
check(len(verifies) == 5, "five VERIFYs with data in the trace (%s)" % events)
for who, i, j in (("first holder", verifies[1], verifies[2]), ("second holder", verifies[3], verifies[4])):
    between = events[i + 1:j]
    check("reset" in between or "power off" in between,
          "%s's death: the card was reset (or powered off) before the next client's VERIFY "
          "(trace: %s)" % (who, between))
