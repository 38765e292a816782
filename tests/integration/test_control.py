# SPDX-License-Identifier: MIT
"""The control socket (docs/control.md) seen through PC/SC: every operation and fault, bad requests.

Run inside `scsim run --removable --slots 2 --trace TRACE -- python3 test_control.py TRACE`.
"""
import os
import socket
import stat
import sys
import threading
import time

from smartcard import scard

from ctltest import Ctl, failed_transmit, present, reader_state, tries, wait_reseated
from scsimtest import Card, PIN_BAD, PIN_OK, check, verify, verify_query

TRACE = sys.argv[1]
R0, R1 = os.environ["SCSIM_READER_0"], os.environ["SCSIM_READER_1"]


def test_socket_mode():
    path = os.environ["SCSIM_CONTROL"]
    check(stat.S_ISSOCK(os.lstat(path).st_mode), "SCSIM_CONTROL is a socket")
    check(stat.S_IMODE(os.lstat(path).st_mode) == 0o600, "control socket mode 0600")
    check(stat.S_IMODE(os.lstat(os.path.dirname(path)).st_mode) == 0o700, "its directory 0700")
    check(os.path.dirname(os.path.dirname(path)) == os.environ["SCSIM_RUN_DIR"],
          "it is in SCSIM_RUN_DIR/control/")


def test_status(ctl):
    r = ctl.ok(op="status")
    check([s["slot"] for s in r["slots"]] == [0, 1], "status lists both slots")
    s0 = r["slots"][0]
    check(s0["reader"] == R0 and s0["present"] and s0["powered"] is not None, "slot 0: %s" % s0)
    check(s0["profile"] == "iso7816-chv" and s0["state"] is None, "profile, state in memory")
    check(s0["tries"]["pin"] == 3 and s0["faults"] == [], "tries by name, no faults")


def test_fault_sw(ctl, card):
    fid = ctl.ok(op="fault", slot=0, kind="sw", sw="6F00", match={"ins": "20"}, count=1)["fault"]
    check(ctl.ok(op="status", slot=0)["slots"][0]["faults"][0]["fault"] == fid, "status lists it")
    card.expect_sw("00CA005A00", 0x9000, "a GET DATA does not match INS 20")
    card.expect_sw(verify(PIN_BAD), 0x6F00, "sw before: VERIFY answered 6F00")
    check(tries(ctl) == 3, "sw before: the card never saw the wrong PIN")
    card.expect_sw(verify(PIN_BAD), 0x63C2, "count 1: the next VERIFY reaches the card")
    ctl.ok(op="fault", slot=0, kind="sw", sw="6581", when="after", match={"prefix": "002000"})
    card.expect_sw(verify(PIN_BAD), 0x6581, "sw after: 6581 answered")
    check(tries(ctl) == 1, "sw after: the card ran the wrong VERIFY (2 -> 1)")
    card.expect_sw(verify(PIN_OK), 0x6581, "until cleared: still 6581")
    check(tries(ctl) == 3, "the right PIN restored the tries behind the fault")
    ctl.ok(op="clear", slot=0)
    card.expect_sw(verify_query(), 0x9000, "cleared: the card answers itself (verified)")
    r = ctl(op="clear", slot=0, fault=99)
    check(not r["ok"] and "no fault 99" in r["error"], "clearing an unknown fault: %s" % r)


def test_fault_corrupt(ctl, card):
    good, _ = card.transmit("00CA005A00")
    ctl.ok(op="fault", slot=0, kind="corrupt", offset=0, count=1, match={"prefix": "00CA"})
    bad, sw = card.transmit("00CA005A00")
    check(sw == 0x9000 and bad[0] == good[0] ^ 0xFF and bad[1:] == good[1:],
          "corrupt: byte 0 XOR FF (%s vs %s)" % (bad.hex(), good.hex()))
    ctl.ok(op="fault", slot=0, kind="corrupt", offset=9999, count=1)
    _, sw = card.transmit("00CA005A00")
    check(sw == 0x90FF, "corrupt past the end: the last byte (SW %04X)" % sw)


def test_fault_delay(ctl, card0, card1):
    ctl.ok(op="fault", slot=0, kind="delay", ms=1500, count=1)
    done = threading.Event()
    result = {}

    def slow():
        t = time.monotonic()
        result["sw"] = card0.transmit(verify_query())[1]
        result["took"] = time.monotonic() - t
        done.set()

    th = threading.Thread(target=slow)
    th.start()
    card1.expect_sw(verify_query(), 0x63C3, "slot 1 answers while slot 0's answer is held")
    check(not done.is_set(), "slot 1's answer came before slot 0's delayed one")
    th.join()
    check(result["took"] >= 1.5, "delay: slot 0's answer took %.2f s" % result["took"])


def test_fault_mute_drop(ctl):
    for kind, extra in (("mute", {"ms": 1000}), ("drop", {})):
        card = Card(R0)
        before = reader_state(R0)
        ctl.ok(op="fault", slot=0, kind=kind, count=1, **extra)
        check(failed_transmit(card, verify_query()), "%s: the transmit fails" % kind)
        card.close()
        wait_reseated(R0, before)
        card = Card(R0)
        card.expect_sw(verify_query(), 0x63C3, "%s: the card came back and answers" % kind)
        card.close()


def test_remove_in_transaction(ctl):
    card = Card(R0)
    hr = scard.SCardBeginTransaction(card.handle)
    check(hr == scard.SCARD_S_SUCCESS, "a transaction is open")
    card.expect_sw(verify(PIN_BAD), 0x63C2, "wrong PIN inside the transaction")
    check(ctl.ok(op="remove", slot=0)["seen"] == "pcsc", "remove answered after PC/SC saw it")
    check(not present(R0), "remove: SCardGetStatusChange shows the reader empty at once")
    check(failed_transmit(card, verify_query()), "the held transaction's transmit fails")
    r = ctl(op="remove", slot=0)
    check(not r["ok"] and "insert" in r["error"], "removing twice: %s" % r["error"])
    check(not ctl.ok(op="status", slot=0)["slots"][0]["present"], "status: not present")
    ctl.ok(op="insert", slot=0)
    check(present(R0), "insert: the reader shows the card at once")
    scard.SCardEndTransaction(card.handle, scard.SCARD_LEAVE_CARD)
    card.close()
    card = Card(R0)
    card.expect_sw(verify_query(), 0x63C2, "the same card came back: its counter kept")
    card.close()


def test_power_reset_snapshot(ctl):
    card = Card(R0)
    card.expect_sw(verify(PIN_OK), 0x9000, "verified")
    card.close()
    ctl.ok(op="power", slot=0, action="off")
    s = ctl.ok(op="status", slot=0)["slots"][0]
    check(not present(R0) and not s["present"] and not s["powered"], "power off: no card shown")
    r = ctl(op="insert", slot=0)
    check(not r["ok"] and "power on" in r["error"], "insert into an unpowered slot says power on")
    ctl.ok(op="power", slot=0, action="on")
    check(present(R0), "power on: the card is back")
    card = Card(R0)
    card.expect_sw(verify_query(), 0x63C3, "power cycle: security status lost, tries back to 3")
    card.close()
    snap = ctl.ok(op="snapshot", slot=0)["snapshot"]
    card = Card(R0)
    card.expect_sw(verify(PIN_BAD), 0x63C2, "wrong PIN after the snapshot")
    card.expect_sw(verify(PIN_BAD), 0x63C1, "and another")
    card.close()
    ctl.ok(op="restore", slot=0, snapshot=snap)
    check(tries(ctl) == 3, "restore: tries as in the snapshot")
    card = Card(R0)
    card.expect_sw(verify(PIN_BAD), 0x63C2, "restore: the card counts from the snapshot")
    card.close()
    ctl.ok(op="reset", slot=0)
    check(tries(ctl) == 3 and present(R0), "reset: a fresh card, present")
    ctl.ok(op="power", slot=0, action="cycle")
    check(present(R0), "power cycle: present again")


def test_swap(ctl):
    ctl.ok(op="swap", slot=1, profile="piv")
    s = ctl.ok(op="status", slot=1)["slots"][0]
    check(s["profile"] == "piv" and present(R1), "swap: slot 1 holds a PIV card")
    card = Card(R1)
    card.expect_sw("00A4040009A0000003080000100000", 0x9000, "the PIV application answers")
    card.close()
    r = ctl(op="swap", slot=1, profile="no-such-profile")
    check(not r["ok"] and "profile" in r["error"] and present(R1), "a bad profile: refused, card kept")
    ctl.ok(op="swap", slot=1, profile="iso7816-chv")


def test_bad_requests(ctl):
    cases = [
        (b"not json\n", "not a JSON object"),
        (b"[1,2]\n", "not a JSON object"),
        (b'{"op":"frobnicate","slot":0}\n', "unknown operation"),
        (b'{"op":"remove"}\n', '"slot": missing'),
        (b'{"op":"remove","slot":"0"}\n', '"slot": expected a number'),
        (b'{"op":"remove","slot":7}\n', '"slot": expected a number from 0 to 1'),
        (b'{"op":"power","slot":0,"action":"sideways"}\n', '"action"'),
        (b'{"op":"fault","slot":0,"kind":"sw"}\n', '"sw"'),
        (b'{"op":"fault","slot":0,"kind":"sw","sw":"6G00"}\n', '"sw"'),
        (b'{"op":"fault","slot":0,"kind":"delay","ms":-1}\n', '"ms"'),
        (b'{"op":"fault","slot":0,"kind":"tear"}\n', "tear"),
        (b'{"op":"remove","slot":0,"profile":"piv"}\n', '"profile": not a field of remove'),
        (b'{"op":"status"} trailing\n', "not a JSON object"),
        (b"x" * 5000 + b"\n", "longer than 4096"),
    ]
    for line, want in cases:
        r = ctl.raw(line)
        check(r["ok"] is False and want in r["error"], "%r -> %s" % (line[:40], r["error"]))
    ctl.ok(op="status")
    # A client that vanishes in the middle of a line, one that never reads its replies.
    s = socket.socket(socket.AF_UNIX)
    s.connect(os.environ["SCSIM_CONTROL"])
    s.sendall(b'{"op":"remo')
    s.close()
    deaf = socket.socket(socket.AF_UNIX)
    deaf.connect(os.environ["SCSIM_CONTROL"])
    deaf.setblocking(False)
    try:
        for _ in range(5000):
            deaf.send(b'{"op":"status"}\n')
    except BlockingIOError:
        pass
    card = Card(R1)
    card.expect_sw(verify_query(), 0x63C3, "a deaf control client delays no APDU")
    card.close()
    ctl.ok(op="status")
    deaf.close()
    # More clients than the bridge keeps: the one too many is told so; the others still work.
    idle = []
    for _ in range(70):
        c = socket.socket(socket.AF_UNIX)
        c.connect(os.environ["SCSIM_CONTROL"])
        idle.append(c)
    last = idle[-1].makefile("rb").readline()
    check(b"too many control clients" in last, "client 71: %r" % last)
    ctl.ok(op="status")
    for c in idle:
        c.close()


def test_trace():
    with open(TRACE, encoding="utf-8") as f:
        text = f.read()
    for want in ("fault 1 set", "fault 1 sw", "fault 3 corrupt", "delay 1500 ms", "mute 1000 ms",
                 "drop", "card taken out", "power taken away", "restored from a snapshot"):
        check(want in text, "the trace shows '%s'" % want)


def main():
    test_socket_mode()
    ctl = Ctl()
    card0, card1 = Card(R0), Card(R1)
    test_status(ctl)
    test_fault_sw(ctl, card0)
    test_fault_corrupt(ctl, card0)
    test_fault_delay(ctl, card0, card1)
    card0.close()
    card1.close()
    test_fault_mute_drop(ctl)
    test_remove_in_transaction(ctl)
    test_power_reset_snapshot(ctl)
    test_swap(ctl)
    test_bad_requests(ctl)
    ctl.close()
    test_trace()


main()
