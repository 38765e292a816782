# SPDX-License-Identifier: MIT
"""Two slots of one bridge hold independent cards with distinct serial numbers."""
import os

from scsimtest import Card, PIN_BAD, PIN_OK, check, verify, verify_query

a = Card(os.environ["SCSIM_READER_0"])
b = Card(os.environ["SCSIM_READER_1"])
check(os.environ["SCSIM_READER"] == os.environ["SCSIM_READER_0"], "SCSIM_READER is slot 0")
sa, sb = a.serial(), b.serial()
check(sa != sb, "serials differ: %s vs %s" % (sa.hex(), sb.hex()))
check(int.from_bytes(sb, "big") == int.from_bytes(sa, "big") + 1, "slot 1's serial is slot 0's + 1")
a.expect_sw(verify(PIN_OK), 0x9000, "slot 0: right PIN")
b.expect_sw(verify_query(), 0x63C3, "slot 1 is not verified by slot 0's VERIFY")
b.expect_sw(verify(PIN_BAD), 0x63C2, "slot 1: wrong PIN")
a.expect_sw(verify_query(), 0x9000, "slot 0 still verified")
b.expect_sw(verify(PIN_BAD), 0x63C1, "slot 1: second wrong PIN")
a.expect_sw(verify(PIN_BAD), 0x63C2, "slot 0 has its own counter (3 -> 2)")
a.close()
b.close()
