# SPDX-License-Identifier: MIT
"""SCardReconnect with SCARD_RESET_CARD / SCARD_UNPOWER_CARD clears the security status, keeps counters."""
from smartcard import scard

from scsimtest import PIN_BAD, PIN_OK, verify, verify_query


def test_reconnect_clears_status_keeps_counters(scsim_reader):
    c = scsim_reader.connect()

    def expect(apdu, sw, what):
        assert c.transmit(apdu)[1] == sw, "%s: %s (want %04X)" % (what, apdu, sw)

    expect(verify(PIN_OK), 0x9000, "right PIN")
    expect(verify_query(), 0x9000, "verified before the reset")
    c.reconnect(scard.SCARD_RESET_CARD)
    expect(verify_query(), 0x63C3, "SCARD_RESET_CARD cleared the security status")
    expect(verify(PIN_OK), 0x9000, "right PIN")
    c.reconnect(scard.SCARD_UNPOWER_CARD)
    expect(verify_query(), 0x63C3, "SCARD_UNPOWER_CARD cleared the security status")
    expect(verify(PIN_BAD), 0x63C2, "wrong PIN")
    c.reconnect(scard.SCARD_RESET_CARD)
    expect(verify_query(), 0x63C2, "the retry counter survives a reset")
