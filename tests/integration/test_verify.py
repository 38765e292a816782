# SPDX-License-Identifier: MIT
"""VERIFY through pcscd: status words and retry counter of the default card's PIN 01, as a real client sees them."""
from scsimtest import PIN_BAD, PIN_OK, verify, verify_query


def test_verify_counts_and_blocks(scsim_reader):
    c = scsim_reader.connect()

    def expect(apdu, sw, what):
        assert c.transmit(apdu)[1] == sw, "%s: %s (want %04X)" % (what, apdu, sw)

    expect(verify_query(), 0x63C3, "fresh card: not verified, 3 tries")
    expect(verify(PIN_BAD), 0x63C2, "wrong PIN")
    expect(verify_query(), 0x63C2, "query does not spend a try")
    expect(verify(PIN_OK), 0x9000, "right PIN")
    expect(verify_query(), 0x9000, "verified")
    expect(verify(PIN_BAD), 0x63C2, "counter was restored to 3 by the right PIN")
    expect(verify_query(), 0x63C2, "a wrong PIN drops the verified state")
    expect(verify(PIN_OK), 0x9000, "right PIN again")
    expect("0020FF01", 0x9000, "VERIFY P1=FF resets the reference")
    expect(verify_query(), 0x63C3, "not verified after P1=FF, counter kept")
    expect(verify(PIN_BAD), 0x63C2, "wrong PIN 1")
    expect(verify(PIN_BAD), 0x63C1, "wrong PIN 2")
    expect(verify(PIN_BAD), 0x63C0, "wrong PIN 3")
    expect(verify(PIN_OK), 0x6983, "blocked: even the right PIN is refused")
