# SPDX-License-Identifier: MIT
"""SCardReconnect with SCARD_RESET_CARD / SCARD_UNPOWER_CARD clears the security status, keeps counters."""
from smartcard import scard

from scsimtest import Card, PIN_BAD, PIN_OK, verify, verify_query

c = Card()
c.expect_sw(verify(PIN_OK), 0x9000, "right PIN")
c.expect_sw(verify_query(), 0x9000, "verified before the reset")
c.reconnect(scard.SCARD_RESET_CARD)
c.expect_sw(verify_query(), 0x63C3, "SCARD_RESET_CARD cleared the security status")
c.expect_sw(verify(PIN_OK), 0x9000, "right PIN")
c.reconnect(scard.SCARD_UNPOWER_CARD)
c.expect_sw(verify_query(), 0x63C3, "SCARD_UNPOWER_CARD cleared the security status")
c.expect_sw(verify(PIN_BAD), 0x63C2, "wrong PIN")
c.reconnect(scard.SCARD_RESET_CARD)
c.expect_sw(verify_query(), 0x63C2, "the retry counter survives a reset")
c.close()
