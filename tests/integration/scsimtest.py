# SPDX-License-Identifier: MIT
"""Helpers for integration tests that talk to scsim cards through PC/SC (pyscard, Debian's /usr/bin/python3)."""
import os
import sys

from smartcard import scard

PROTOCOLS = scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
PIN_OK = "31323334"  # the default card's global PIN reference 01 holds "1234"
PIN_BAD = "39393939"


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok: " + msg)


class Card:
    """One PC/SC connection to a reader (default: $SCSIM_READER, set by `scsim run`)."""

    def __init__(self, reader=None):
        self.reader = reader or os.environ["SCSIM_READER"]
        hr, self.ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hr != scard.SCARD_S_SUCCESS:
            fail("SCardEstablishContext: " + scard.SCardGetErrorMessage(hr))
        hr, self.handle, self.proto = scard.SCardConnect(
            self.ctx, self.reader, scard.SCARD_SHARE_SHARED, PROTOCOLS)
        if hr != scard.SCARD_S_SUCCESS:
            fail("SCardConnect(%s): %s" % (self.reader, scard.SCardGetErrorMessage(hr)))

    def transmit(self, apdu_hex):
        hr, resp = scard.SCardTransmit(self.handle, self.proto, list(bytes.fromhex(apdu_hex)))
        if hr != scard.SCARD_S_SUCCESS:
            fail("SCardTransmit(%s): %s" % (apdu_hex, scard.SCardGetErrorMessage(hr)))
        if len(resp) < 2:
            fail("response to %s has no status word" % apdu_hex)
        return bytes(resp[:-2]), (resp[-2] << 8) | resp[-1]

    def expect_sw(self, apdu_hex, sw, what):
        _, got = self.transmit(apdu_hex)
        check(got == sw, "%s: %s -> %04X (want %04X)" % (what, apdu_hex, got, sw))

    def serial(self):
        data, sw = self.transmit("00CA005A00")
        check(sw == 0x9000 and len(data) > 2 and data[0] == 0x5A, "GET DATA serial answers 5A ...")
        return data[2:2 + data[1]]

    def atr(self):
        hr, _, _, _, atr = scard.SCardStatus(self.handle)
        if hr != scard.SCARD_S_SUCCESS:
            fail("SCardStatus: " + scard.SCardGetErrorMessage(hr))
        return bytes(atr)

    def reconnect(self, disposition):
        hr, self.proto = scard.SCardReconnect(
            self.handle, scard.SCARD_SHARE_SHARED, PROTOCOLS, disposition)
        if hr != scard.SCARD_S_SUCCESS:
            fail("SCardReconnect: " + scard.SCardGetErrorMessage(hr))

    def close(self):
        scard.SCardDisconnect(self.handle, scard.SCARD_LEAVE_CARD)
        scard.SCardReleaseContext(self.ctx)


def verify(pin_hex, ref="01"):
    return "002000%s%02X%s" % (ref, len(pin_hex) // 2, pin_hex)


def verify_query(ref="01"):
    return "002000" + ref
