# SPDX-License-Identifier: MIT
"""Tear faults (power lost at a durable write) seen through PC/SC, with a state file.

Run inside `scsim run --removable --slots 2 --trace TRACE -- python3 test_control_tear.py TRACE`.
"""
import os
import sys

from ctltest import Ctl, failed_transmit, reader_state, tries, wait_reseated
from scsimtest import Card, PIN_BAD, PIN_OK, check, verify

R0 = os.environ["SCSIM_READER_0"]
NEW_PIN = "35363738"
CHANGE = "0024000108" + PIN_OK + NEW_PIN


def torn(ctl, when, apdu, what):
    """Sends apdu under a tear fault: the transmit fails and the card comes back."""
    card = Card(R0)
    before = reader_state(R0)
    fid = ctl.ok(op="fault", slot=0, kind="tear", when=when, count=1)["fault"]
    check(failed_transmit(card, apdu), "tear %s: %s gets no answer" % (when, what))
    card.close()
    wait_reseated(R0, before)
    check(ctl.ok(op="status", slot=0)["slots"][0]["faults"] == [], "its count spent")
    return fid


def main():
    ctl = Ctl()
    r = ctl(op="fault", slot=1, kind="tear")
    check(not r["ok"] and "state file" in r["error"], "tear on a card in memory: %s" % r["error"])
    path = os.path.join(os.environ["SCSIM_RUN_DIR"], "tear.state")
    ctl.ok(op="swap", slot=0, state=path)
    check(ctl.ok(op="status", slot=0)["slots"][0]["state"] == path, "slot 0 keeps its state in a file")

    card = Card(R0)
    ctl.ok(op="fault", slot=0, kind="tear", count=1)
    card.expect_sw("00CA005A00", 0x9000, "a command that writes nothing goes through the tear")
    card.close()
    ctl.ok(op="clear", slot=0)

    torn(ctl, "before", verify(PIN_BAD), "a wrong VERIFY")
    check(tries(ctl) == 3, "tear before: the decrement never became durable (3 tries)")
    fid = torn(ctl, "after", verify(PIN_BAD), "a wrong VERIFY")
    check(tries(ctl) == 2, "tear after: the decrement is durable (2 tries)")

    for when in ("before", "after"):
        left = tries(ctl)
        torn(ctl, when, CHANGE, "CHANGE REFERENCE DATA")
        check(tries(ctl) <= left, "tear %s in a change: no try handed back (%d, was %d)"
              % (when, tries(ctl), left))
        card = Card(R0)
        old = card.transmit(verify(PIN_OK))[1]
        new = card.transmit(verify(NEW_PIN))[1] if old != 0x9000 else None
        check(old == 0x9000 or new == 0x9000,
              "tear %s in a change: the old or the new code works (old %04X)" % (when, old))
        if new == 0x9000:
            card.expect_sw("0024000108" + NEW_PIN + PIN_OK, 0x9000, "the code back to 1234")
        card.close()
    ctl.close()
    with open(sys.argv[1], encoding="utf-8") as f:
        trace = f.read()
    check("fault %d tear" % fid in trace and '"kind":"tear","when":"after"' in trace,
          "the trace shows each tear")


main()
