"""A PC/SC client SIGKILLed while it holds a transaction on a verified card.

What pcscd 1.9.9 does, and a real card would see: when the dead client's socket closes, pcscd
drops its handle with SCARD_RESET_CARD, so the card gets a warm reset (the trace shows "reset")
and loses its security state; its retry counter is untouched. A client already blocked in
SCardBeginTransaction is woken with SCARD_W_RESET_CARD, reconnects and gets the transaction; a
client arriving later gets it at once. Either finds VERIFY query = 63C3, and the bridge serves on.

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


def acquire_after_reset(card, res, done, what):
    if not done.wait(WAIT):
        fail("%s: no transaction within %d s of the holder's death" % (what, WAIT))
    hr = res["hr"]
    if hr == scard.SCARD_W_RESET_CARD:
        check(True, "%s: woken with SCARD_W_RESET_CARD (pcscd reset the card)" % what)
        card.reconnect(scard.SCARD_LEAVE_CARD)
        res, done = begin_bounded(card, what)
        if not done.wait(WAIT):
            fail("%s: no transaction after reconnecting" % what)
        hr = res["hr"]
    check(hr == scard.SCARD_S_SUCCESS, "%s: transaction acquired (%s)" % (what, scard.SCardGetErrorMessage(hr)))


if sys.argv[1:] == ["--child"]:
    child()
trace = sys.argv[1]

# 1. A client is already waiting for the transaction when the holder dies.
waiter = Card()
waiter.expect_sw(verify(PIN_BAD), 0x63C2, "counter at 2 before the scenario")
waiter.expect_sw(verify_query(), 0x63C2, "query: 2 tries left")
holder = spawn_holder()
res, done = begin_bounded(waiter, "waiting client")
check(not done.is_set(), "waiting client is blocked while the holder's transaction lasts")
kill(holder)
acquire_after_reset(waiter, res, done, "waiting client")
waiter.expect_sw(verify_query(), 0x63C3, "waiting client: not verified after the reset; the holder's "
                 "right PIN had restored the counter to 3")
waiter.expect_sw("00B0000000", 0x6986, "no current EF: the reset dropped the holder's selection")
waiter.expect_sw(verify(PIN_OK), 0x9000, "the bridge keeps serving: right PIN")
waiter.expect_sw("0020FF01", 0x9000, "leave it unverified")
hr = scard.SCardEndTransaction(waiter.handle, scard.SCARD_LEAVE_CARD)
check(hr == scard.SCARD_S_SUCCESS, "waiting client ends its transaction")
waiter.close()

# 2. Nobody waits: a client that connects after the holder died gets the card at once.
holder = spawn_holder()
kill(holder)
late = Card()
res, done = begin_bounded(late, "late client")
acquire_after_reset(late, res, done, "late client")
late.expect_sw(verify_query(), 0x63C3, "late client: not verified")
late.expect_sw(verify(PIN_OK), 0x9000, "late client: right PIN")
serial = late.serial()
check(len(serial) == 8, "GET DATA still answers")
scard.SCardEndTransaction(late.handle, scard.SCARD_LEAVE_CARD)
late.close()

# The trace: each holder's VERIFY is followed by a reset (not a power cycle) of the slot.
with open(trace) as f:
    events = [m.group(1) for m in (re.search(r" slot 0 (reset|power off|power on|VERIFY C: 00 20 00 01 04)",
                                             line) for line in f) if m]
# --trace appends: this run starts at the bridge's last power on
events = events[len(events) - 1 - events[::-1].index("power on"):]
verifies = [i for i, e in enumerate(events) if e.startswith("VERIFY")]
# VERIFYs with data: waiter's wrong PIN, holder 1, waiter's right PIN, holder 2, late client's
check(len(verifies) == 5, "five VERIFYs with data in the trace")
for who, i in (("first holder", verifies[1]), ("second holder", verifies[3])):
    check(events[i + 1] == "reset", "%s's death: pcscd reset the card (trace: %s)" % (who, events[i + 1]))
check("power off" not in events, "the card was never powered off")
