# SPDX-License-Identifier: MIT
"""scsim.Run: `scsim run --start` as a context manager, its readers and environment, seen by
real clients in subprocesses (this process's PC/SC belongs to the session's run)."""
import os
import subprocess
import sys

import pytest

import scsim
from scsim.run import parse_exports

GET_SERIAL = ("import os; from scsim.pcsc import Connection; "
              "c = Connection(os.environ['SCSIM_READER']); print(c.transmit('00CA005A00')[0].hex())")


def serial_of(run, reader):
    env = run.environ()
    env["SCSIM_READER"] = reader
    p = subprocess.run([sys.executable, "-c", GET_SERIAL], env=env, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def test_two_readers_seen_by_opensc_and_pyscard():
    with scsim.Run(slots=2, export=False) as run:
        assert run.readers == ["Virtual PCD 00 00", "Virtual PCD 00 01"]
        assert run.reader == run.readers[0]
        assert os.path.isdir(run.run_dir)
        assert os.environ.get("SCSIM_RUN_DIR") != run.run_dir
        p = subprocess.run(["opensc-tool", "-l"], env=run.environ(), capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        assert p.stdout.count("Yes") == 2 and "Virtual PCD 00 01" in p.stdout
        s0, s1 = (serial_of(run, r) for r in run.readers)
        assert s0.startswith("5a") and s0 != s1
        run_dir = run.run_dir
    assert not os.path.exists(run_dir)
    assert run.env == {}
    run.stop()  # a second stop is nothing


def test_slot_profiles_and_export():
    saved = os.environ.get("SCSIM_RUN_DIR")
    with scsim.Run(slots=["iso7816-chv", "piv"]) as run:
        assert os.environ["SCSIM_RUN_DIR"] == run.run_dir
        assert os.environ["SCSIM_READER_1"] == run.readers[1]
        code = ("import os; from scsim.pcsc import Connection; "
                "c = Connection(os.environ['SCSIM_READER_1']); "
                "print(hex(c.transmit('00A4040009A00000030800001000')[1]))")
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=60)
        assert p.stdout.strip() == "0x9000", p.stderr
    assert os.environ.get("SCSIM_RUN_DIR") == saved


def test_a_run_that_cannot_start_says_why(tmp_path):
    with pytest.raises(scsim.RunError, match="no profile named 'nope'") as e:
        scsim.Run(profile="nope", export=False).start()
    assert "exit 125" in str(e.value)
    with pytest.raises(scsim.RunError, match="no-such-scsim"):
        scsim.Run(scsim=tmp_path / "no-such-scsim", export=False).start()


def test_exports_are_parsed_as_a_shell_would():
    env = parse_exports("export PCSCLITE_CSOCK_NAME='/tmp/a b/pcscd.comm'\n"
                        "export SCSIM_READER='it'\\''s'\n"
                        "export SCSIM_RUN_DIR='/tmp/r'\n")
    assert env == {"PCSCLITE_CSOCK_NAME": "/tmp/a b/pcscd.comm", "SCSIM_READER": "it's",
                   "SCSIM_RUN_DIR": "/tmp/r"}
    with pytest.raises(scsim.RunError, match="unexpected line"):
        parse_exports("echo hi\n")
    with pytest.raises(scsim.RunError, match="did not export"):
        parse_exports("export SCSIM_READER='x'\n")


def sw_of(run, apdu):
    code = ("import os, sys; from scsim.pcsc import Connection; "
            "print(Connection(os.environ['SCSIM_READER']).transmit(sys.argv[1])[1])")
    p = subprocess.run([sys.executable, "-c", code, apdu], env=run.environ(),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return int(p.stdout)


def test_reverse_mode_refuses_removal_but_resets_in_place():
    with scsim.Run(export=False) as run:
        assert sw_of(run, "0020000104 39393939") == 0x63C2
        assert run.status(0)["tries"]["pin"] == 2
        with pytest.raises(scsim.ControlError, match="--removable"):
            run.reset(0)
        assert run.reset(0, in_place=True)["seen"] == "bridge"
        assert run.status(0)["tries"]["pin"] == 3
        assert sw_of(run, "00200001") == 0x63C3
