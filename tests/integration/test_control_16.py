# SPDX-License-Identifier: MIT
"""16 readers driven at once through the control socket, and a default-mode run that refuses removal.

Run inside `scsim run --removable --slots 16 -- python3 test_control_16.py`, or with `reverse`
as argument inside a default (reverse-mode) `scsim run`.
"""
import json
import os
import socket
import subprocess
import sys
import threading

from smartcard import scard

from scsimtest import Card, check


def ctl(**req):
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(os.environ["SCSIM_CONTROL"])
        s.sendall((json.dumps(req) + "\n").encode())
        return json.loads(s.makefile().readline())


def present(ctx, reader):
    hr, states = scard.SCardGetStatusChange(ctx, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
    return hr == scard.SCARD_S_SUCCESS and bool(states[0][1] & scard.SCARD_STATE_PRESENT)


def cycle(slot, results):
    """Out, in as a PIV card for even slots: each step checked through PC/SC when it answers."""
    reader = os.environ["SCSIM_READER_%d" % slot]
    hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    steps = []
    r = ctl(op="remove", slot=slot)
    steps.append(r["ok"] and not present(ctx, reader) or r)
    r = ctl(op="insert", slot=slot, **({"profile": "piv"} if slot % 2 == 0 else {}))
    steps.append(r["ok"] and present(ctx, reader) or r)
    scard.SCardReleaseContext(ctx)
    results[slot] = steps


def main_removable():
    results = {}
    threads = [threading.Thread(target=cycle, args=(i, results)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(16):
        check(results.get(i) == [True, True],
              "slot %d: removed and inserted, seen by PC/SC (%s)" % (i, results.get(i)))
    status = ctl(op="status")["slots"]
    check([s["profile"] for s in status] == ["piv", "iso7816-chv"] * 8, "even slots hold PIV cards")
    serials = set()
    for i in range(16):
        card = Card(os.environ["SCSIM_READER_%d" % i])
        if i % 2 == 1:
            serials.add(card.serial())
        card.close()
    check(len(serials) == 8, "the odd slots' cards have distinct serials")
    listing = subprocess.run(["opensc-tool", "-l"], capture_output=True, text=True).stdout
    for i in range(16):
        check(os.environ["SCSIM_READER_%d" % i] in listing, "opensc-tool -l lists reader %d" % i)


def main_reverse():
    for req in (dict(op="remove", slot=0), dict(op="power", slot=0, action="cycle"),
                dict(op="reset", slot=0)):
        r = ctl(**req)
        check(not r["ok"] and "--removable" in r["error"], "reverse mode: %s refused" % req["op"])
    s = ctl(op="status")["slots"][0]
    check(s["present"] and not s["removable"], "the card stays; status says it is not removable")
    check(ctl(op="fault", slot=0, kind="sw", sw="6A82", count=1)["ok"], "faults work in reverse mode")
    card = Card()
    card.expect_sw("00CA005A00", 0x6A82, "the fault applies")
    card.close()


if len(sys.argv) > 1 and sys.argv[1] == "reverse":
    main_reverse()
else:
    main_removable()
