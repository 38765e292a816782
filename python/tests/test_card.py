# SPDX-License-Identifier: MIT
"""scsim.Card and the scsim_card fixture: an in-process card's answers, power, tries and state."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import scsim

VERIFY_BAD = "0020000104 39393939"  # the default card's PIN 01 is 1234
VERIFY_OK = "0020000104 31323334"
VERIFY_QUERY = "00200001"
SOURCE = Path(__file__).resolve().parents[2]
PIV_AID = "00A4040009 A00000030800001000"


def test_wrong_pin_takes_a_try(scsim_card):
    assert scsim_card.transmit(VERIFY_QUERY) == (b"", 0x63C3)
    assert scsim_card.transmit(VERIFY_BAD) == (b"", 0x63C2)
    assert scsim_card.status()["tries"]["pin"] == 2
    assert scsim_card.transmit(VERIFY_OK) == (b"", 0x9000)
    assert scsim_card.status()["tries"]["pin"] == 3


# Two tests that each spend a try: both see a fresh card (3 tries) whatever their order.
@pytest.mark.parametrize("run", [1, 2])
def test_each_test_gets_a_fresh_card(scsim_card, run):
    assert scsim_card.status()["tries"]["pin"] == 3
    assert scsim_card.transmit(VERIFY_BAD)[1] == 0x63C2


def test_status_as_control_reports_it(scsim_card):
    assert scsim_card.status() == {"profile": "iso7816-chv", "powered": True, "state": None,
                                   "tries": {"pin": 3, "puk": 10, "app-pin": 3, "admin": 5}}


def test_snapshot_restore_and_reset_state(scsim_card):
    snap = scsim_card.snapshot()
    assert scsim_card.transmit(VERIFY_BAD)[1] == 0x63C2
    assert scsim_card.transmit(VERIFY_OK)[1] == 0x9000
    assert scsim_card.transmit(VERIFY_BAD)[1] == 0x63C2
    assert scsim_card.tries()["pin"] == 2
    atr = scsim_card.restore(snap)
    assert atr == scsim_card.atr and scsim_card.powered
    assert scsim_card.tries()["pin"] == 3
    assert scsim_card.transmit(VERIFY_QUERY)[1] == 0x63C3
    for sw in (0x63C2, 0x63C1, 0x63C0):
        assert scsim_card.transmit(VERIFY_BAD)[1] == sw
    assert scsim_card.transmit(VERIFY_OK)[1] == 0x6983
    scsim_card.reset_state()
    assert scsim_card.transmit(VERIFY_OK)[1] == 0x9000
    with scsim.Card() as other, pytest.raises(ValueError, match="only to the card"):
        other.restore(snap)


def test_apdu_forms(scsim_card):
    want = scsim_card.transmit(bytes.fromhex("00CA005A00"))
    assert want[1] == 0x9000 and want[0][0] == 0x5A
    assert scsim_card.transmit("00 CA 00 5A 00") == want
    assert scsim_card.transmit("00:CA:00:5A:00") == want
    assert scsim_card.transmit([0x00, 0xCA, 0x00, 0x5A, 0x00]) == want
    assert scsim_card.serial == want[0][2:]
    with pytest.raises(ValueError, match="not hex"):
        scsim_card.transmit("00CA0G")
    with pytest.raises(ValueError, match="1 to"):
        scsim_card.transmit(b"")
    assert scsim_card.transmit("00")[1] == 0x6700


def test_power_and_reset_clear_security_status(scsim_card):
    atr = scsim_card.atr
    assert scsim_card.transmit(VERIFY_OK)[1] == 0x9000
    assert scsim_card.reset() == atr
    assert scsim_card.transmit(VERIFY_QUERY)[1] == 0x63C3
    assert scsim_card.transmit(VERIFY_OK)[1] == 0x9000
    scsim_card.power_off()
    assert not scsim_card.powered
    with pytest.raises(scsim.CardError, match="powered off") as e:
        scsim_card.transmit(VERIFY_QUERY)
    assert e.value.code == -3
    with pytest.raises(scsim.CardError):
        scsim_card.reset()
    assert scsim_card.power_on() == atr
    assert scsim_card.transmit(VERIFY_QUERY)[1] == 0x63C3


def test_extended_answer(scsim_card):
    # 64 KiB of GET CHALLENGE is refused or answered, but never overflows: the buffer is the max.
    data, sw = scsim_card.transmit("0084000000FFFF")
    assert sw in (0x9000, 0x6700, 0x6A86, 0x6B00, 0x6D00, 0x6C10) or sw >> 8 == 0x6C
    assert len(data) <= 65536


def test_state_file_outlives_the_card(tmp_path):
    path = tmp_path / "card.state"
    with scsim.Card(state=path) as card:
        assert card.status()["state"] == str(path)
        assert card.transmit(VERIFY_BAD)[1] == 0x63C2
    assert (os.stat(path).st_mode & 0o777) == 0o600
    with scsim.Card(state=path) as card:
        assert card.status()["tries"]["pin"] == 2
        assert card.transmit(VERIFY_QUERY)[1] == 0x63C2


def test_corrupt_state_is_refused_and_kept(tmp_path):
    path = tmp_path / "bad.state"
    path.write_bytes(b"not a state file")
    os.chmod(path, 0o600)
    with pytest.raises(scsim.StateError, match=str(path)):
        scsim.Card(state=path)
    assert path.read_bytes() == b"not a state file"


def test_bad_profile_names_file_and_line(tmp_path):
    lines = (SOURCE / "profiles" / "iso7816-chv.yaml").read_text().splitlines()
    at = lines.index("    retries: 3")
    lines[at] = "    retries: 99"
    path = tmp_path / "bad.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(scsim.ProfileError) as e:
        scsim.Card(path)
    assert str(e.value).startswith("%s:%d:" % (path, at + 1)), e.value
    assert "retries" in str(e.value)
    with pytest.raises(scsim.ProfileError, match="no profile named 'nope'"):
        scsim.Card("nope")


@pytest.mark.scsim_profile("piv")
def test_profile_marker(scsim_card):
    assert scsim_card.profile == "piv"
    assert scsim_card.transmit(PIV_AID)[1] == 0x9000
    assert set(scsim_card.status()["tries"]) >= {"pin", "puk"}


def test_seed_makes_challenges_repeatable():
    with scsim.Card(seed=b"seed") as a, scsim.Card(seed=b"seed") as b, scsim.Card() as c:
        ca, cb, cc = (x.transmit("0084000010") for x in (a, b, c))
    assert ca[1] == 0x9000 and ca == cb and ca != cc


def test_closed_card_says_so():
    card = scsim.Card()
    card.close()
    card.close()
    with pytest.raises(scsim.CardError, match="closed"):
        card.transmit(VERIFY_QUERY)


def test_missing_library_says_where_it_looked():
    env = dict(os.environ, SCSIM_LIBRARY="/nonexistent/libscsim.so")
    p = subprocess.run([sys.executable, "-c", "import scsim; scsim.Card()"], env=env,
                       capture_output=True, text=True)
    assert p.returncode != 0
    assert "LibraryError" in p.stderr and "/nonexistent/libscsim.so" in p.stderr
    assert "SCSIM_LIBRARY" in p.stderr
