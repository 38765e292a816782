# SPDX-License-Identifier: MIT
"""scsim_reader and the control operations through a real pcscd: a fresh card per test, faults
from markers, removal, insertion, swap, power and snapshots seen through pyscard."""
import subprocess
import sys

import pytest

import scsim
from scsim.pcsc import PcscError

VERIFY_BAD = "0020000104 39393939"
VERIFY_OK = "0020000104 31323334"
VERIFY_QUERY = "00200001"
PIV_AID = "00A4040009 A00000030800001000"


# Each spends a try: both see 3 tries left only if every test gets a fresh card.
@pytest.mark.parametrize("run", [1, 2])
def test_each_test_gets_a_fresh_card(scsim_reader, run):
    c = scsim_reader.connect()
    assert c.transmit(VERIFY_QUERY)[1] == 0x63C3
    assert c.transmit(VERIFY_BAD)[1] == 0x63C2
    assert scsim_reader.status()["tries"]["pin"] == 2


@pytest.mark.scsim_fault("sw", sw="6F00", match={"ins": "20"}, count=1)
def test_fault_marker(scsim_reader):
    c = scsim_reader.connect()
    faults = scsim_reader.status()["faults"]
    assert [(f["kind"], f["sw"]) for f in faults] == [("sw", "6F00")]
    assert c.transmit("00CA005A00")[1] == 0x9000  # not a VERIFY: untouched
    assert c.transmit(VERIFY_BAD)[1] == 0x6F00
    assert c.transmit(VERIFY_QUERY)[1] == 0x63C3  # count 1 spent; the card never saw the first
    assert scsim_reader.status()["faults"] == []


def test_no_fault_left_from_another_test(scsim_reader):
    scsim_reader.fault("sw", sw="6A82")  # until cleared: the next test's fixture clears it
    assert scsim_reader.connect().transmit(VERIFY_QUERY)[1] == 0x6A82


def test_faults_are_gone_in_the_next_test(scsim_reader):
    assert scsim_reader.status()["faults"] == []
    assert scsim_reader.connect().transmit(VERIFY_QUERY)[1] == 0x63C3


def test_fault_ids_and_clear(scsim_reader):
    c = scsim_reader.connect()
    fid = scsim_reader.fault("corrupt", offset=0, match={"prefix": "00CA"})
    data, sw = c.transmit("00CA005A00")
    assert data[0] == 0x5A ^ 0xFF and sw == 0x9000
    scsim_reader.clear(fault=fid)
    assert c.transmit("00CA005A00")[0][0] == 0x5A
    with pytest.raises(scsim.ControlError, match="fault"):
        scsim_reader.clear(fault=fid)


def test_remove_and_insert(scsim_reader):
    c = scsim_reader.connect()
    assert c.transmit(VERIFY_BAD)[1] == 0x63C2
    scsim_reader.remove()
    assert scsim_reader.status()["present"] is False
    with pytest.raises(PcscError):
        c.transmit(VERIFY_QUERY)
    with pytest.raises(PcscError):
        scsim_reader.connect()
    scsim_reader.insert()
    c = scsim_reader.connect()
    assert c.transmit(VERIFY_QUERY)[1] == 0x63C2  # the same card came back
    with pytest.raises(scsim.ControlError, match="has a card"):
        scsim_reader.insert()


def test_swap_to_another_profile(scsim_reader):
    assert scsim_reader.connect().transmit(PIV_AID)[1] != 0x9000
    scsim_reader.swap(profile="piv")
    assert scsim_reader.status()["profile"] == "piv"
    assert scsim_reader.connect().transmit(PIV_AID)[1] == 0x9000


def test_power_cycle_and_snapshot(scsim_reader):
    c = scsim_reader.connect()
    assert c.transmit(VERIFY_OK)[1] == 0x9000
    snap = scsim_reader.snapshot()
    assert c.transmit(VERIFY_BAD)[1] == 0x63C2
    scsim_reader.power("cycle")
    with pytest.raises(PcscError):
        c.transmit(VERIFY_QUERY)
    c = scsim_reader.connect()
    assert c.transmit(VERIFY_QUERY)[1] == 0x63C2  # power lost the status, not the counter
    scsim_reader.restore(snap)
    c = scsim_reader.connect()
    assert c.transmit(VERIFY_QUERY)[1] == 0x63C3
    with pytest.raises(ValueError, match="off, on or cycle"):
        scsim_reader.power("sideways")


def test_environ_for_subprocesses(scsim_reader):
    code = ("import os; from scsim.pcsc import Connection; "
            "print(hex(Connection(os.environ['SCSIM_READER']).transmit('00200001')[1]))")
    scsim_reader.connect().transmit(VERIFY_BAD)
    p = subprocess.run([sys.executable, "-c", code], env=scsim_reader.environ(),
                       capture_output=True, text=True, timeout=60)
    assert p.stdout.strip() == "0x63c2", p.stderr


def test_status_of_the_session_run(scsim_run, scsim_reader):
    slots = scsim_run.status()
    assert len(slots) == 1 and slots[0]["reader"] == scsim_reader.name
    assert scsim_run.status(0)["tries"] == {"pin": 3, "puk": 10, "app-pin": 3, "admin": 5}
    with pytest.raises(scsim.ControlError, match="no slot 5"):
        scsim_run.status(5)


# A test that leaves the slot empty or unpowered: the next one still gets a fresh card (the
# second case checks the first's, the test after them the second's).
@pytest.mark.parametrize("leave", ["removed", "unpowered"])
def test_leave_the_slot(scsim_reader, leave):
    assert scsim_reader.status()["present"] is True
    c = scsim_reader.connect()
    assert c.transmit(VERIFY_QUERY)[1] == 0x63C3
    assert c.transmit(VERIFY_BAD)[1] == 0x63C2
    if leave == "removed":
        scsim_reader.remove()
    else:
        scsim_reader.power("off")
    assert scsim_reader.status()["present"] is False


def test_the_card_is_back_after_a_test_left_it_out(scsim_reader):
    assert scsim_reader.status()["present"] is True
    assert scsim_reader.connect().transmit(VERIFY_QUERY)[1] == 0x63C3


def test_reset_in_place_and_seen(scsim_reader):
    c = scsim_reader.connect()
    assert c.transmit(VERIFY_BAD)[1] == 0x63C2
    assert c.transmit(VERIFY_OK)[1] == 0x9000
    assert c.transmit(VERIFY_BAD)[1] == 0x63C2
    # In place: the same handle goes on, and meets a card with no status and all its tries.
    assert scsim_reader.reset(in_place=True)["seen"] == "bridge"
    assert c.transmit(VERIFY_QUERY)[1] == 0x63C3
    assert c.transmit(VERIFY_OK)[1] == 0x9000
    # Seen by PC/SC: the handle's card went away.
    assert scsim_reader.reset()["seen"] == "pcsc"
    with pytest.raises(PcscError):
        c.transmit(VERIFY_QUERY)
    assert scsim_reader.connect().transmit(VERIFY_QUERY)[1] == 0x63C3
