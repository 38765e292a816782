# SPDX-License-Identifier: MIT
"""Helpers for tests of the control socket (docs/control.md): requests, and waits through PC/SC."""
import json
import os
import socket
import time

from smartcard import scard

from scsimtest import check, fail


class Ctl:
    """One connection to the control socket; requests answered in order."""

    def __init__(self):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(os.environ["SCSIM_CONTROL"])
        self.f = self.s.makefile("rb")

    def raw(self, line):
        self.s.sendall(line)
        reply = self.f.readline()
        if not reply:
            fail("the control socket closed instead of answering %r" % line[:60])
        return json.loads(reply)

    def __call__(self, **req):
        return self.raw((json.dumps(req) + "\n").encode())

    def ok(self, **req):
        r = self(**req)
        check(r.get("ok") is True, "%s -> %s" % (json.dumps(req), json.dumps(r)))
        return r

    def close(self):
        self.f.close()
        self.s.close()


def reader_state(reader):
    """The reader's state now, as SCardGetStatusChange reports it (no waiting)."""
    hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    hr, states = scard.SCardGetStatusChange(ctx, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
    scard.SCardReleaseContext(ctx)
    if hr != scard.SCARD_S_SUCCESS:
        fail("SCardGetStatusChange(%s): %s" % (reader, scard.SCardGetErrorMessage(hr)))
    return states[0][1]


def present(reader):
    st = reader_state(reader)
    return bool(st & scard.SCARD_STATE_PRESENT) and not st & scard.SCARD_STATE_EMPTY


def wait_reseated(reader, before, timeout_ms=15000):
    """Waits through PC/SC until reader shows a card again after a change from state before."""
    hr, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    cur = before & ~scard.SCARD_STATE_CHANGED
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        hr, states = scard.SCardGetStatusChange(ctx, 1000, [(reader, cur)])
        if hr == scard.SCARD_S_SUCCESS:
            cur = states[0][1] & ~scard.SCARD_STATE_CHANGED
            if (cur >> 16) != (before >> 16) and cur & scard.SCARD_STATE_PRESENT \
                    and not cur & scard.SCARD_STATE_EMPTY:
                scard.SCardReleaseContext(ctx)
                return
    fail("no new card event in %s after %d ms" % (reader, timeout_ms))


def tries(ctl, slot=0, ref="pin"):
    return ctl.ok(op="status", slot=slot)["slots"][0]["tries"][ref]


def failed_transmit(card, apdu_hex):
    """True when the transmit fails or brings no status word (vpcd's answer to a mute card)."""
    hr, resp = scard.SCardTransmit(card.handle, card.proto, list(bytes.fromhex(apdu_hex)))
    return hr != scard.SCARD_S_SUCCESS or len(resp) < 2
