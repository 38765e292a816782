# SPDX-License-Identifier: MIT
"""Presents the default PIN once (used by the trace test)."""
from scsimtest import Card, PIN_OK, verify

c = Card()
c.expect_sw(verify(PIN_OK), 0x9000, "right PIN")
c.expect_sw("002400010831323334" + "35363738", 0x9000, "CHANGE REFERENCE DATA 1234 -> 5678")
c.close()
