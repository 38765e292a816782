# SPDX-License-Identifier: MIT
"""VERIFY through pcscd: status words and retry counter of the default card's PIN 01, as a real client sees them."""
from scsimtest import Card, PIN_BAD, PIN_OK, verify, verify_query

c = Card()
c.expect_sw(verify_query(), 0x63C3, "fresh card: not verified, 3 tries")
c.expect_sw(verify(PIN_BAD), 0x63C2, "wrong PIN")
c.expect_sw(verify_query(), 0x63C2, "query does not spend a try")
c.expect_sw(verify(PIN_OK), 0x9000, "right PIN")
c.expect_sw(verify_query(), 0x9000, "verified")
c.expect_sw(verify(PIN_BAD), 0x63C2, "counter was restored to 3 by the right PIN")
c.expect_sw(verify_query(), 0x63C2, "a wrong PIN drops the verified state")
c.expect_sw(verify(PIN_OK), 0x9000, "right PIN again")
c.expect_sw("0020FF01", 0x9000, "VERIFY P1=FF resets the reference")
c.expect_sw(verify_query(), 0x63C3, "not verified after P1=FF, counter kept")
c.expect_sw(verify(PIN_BAD), 0x63C2, "wrong PIN 1")
c.expect_sw(verify(PIN_BAD), 0x63C1, "wrong PIN 2")
c.expect_sw(verify(PIN_BAD), 0x63C0, "wrong PIN 3")
c.expect_sw(verify(PIN_OK), 0x6983, "blocked: even the right PIN is refused")
c.close()
