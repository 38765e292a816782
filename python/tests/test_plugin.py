# SPDX-License-Identifier: MIT
"""The pytest plugin as a user meets it: its options, markers, and what it says when something
is missing (each run here is a pytest of its own, in a subprocess)."""
import pytest

pytest_plugins = ["pytester"]


def run(pytester, *args):
    return pytester.runpytest_subprocess("-p", "scsim.pytest_plugin", "-p", "no:cacheprovider",
                                         *args)


def test_help_lists_the_options(pytester):
    r = run(pytester, "--help")
    assert r.ret == 0
    r.stdout.fnmatch_lines(["*--scsim-profile=PROFILE*", "*--scsim-scsim=PATH*"])


def test_markers_are_registered(pytester):
    r = run(pytester, "--markers")
    r.stdout.fnmatch_lines(["@pytest.mark.scsim_profile(profile)*",
                            "@pytest.mark.scsim_fault(kind, [*][*]fields)*"])


def test_profile_option_reaches_scsim_card(pytester):
    pytester.makepyfile("""
        def test_piv(scsim_card):
            assert scsim_card.profile == "piv"
            assert scsim_card.transmit("00A4040009A00000030800001000")[1] == 0x9000
    """)
    r = run(pytester, "--scsim-profile", "piv")
    r.assert_outcomes(passed=1)


def test_unknown_profile_is_an_error_not_a_traceback(pytester):
    pytester.makepyfile("""
        def test_card(scsim_card):
            pass
    """)
    r = run(pytester, "--scsim-profile", "PIV")
    r.assert_outcomes(errors=1)
    r.stdout.fnmatch_lines(["*no profile named 'PIV'*did you mean 'piv'*"])


def test_missing_pyscard_is_named(pytester):
    # This interpreter cannot import smartcard: scsim_reader says so, and how to get it.
    pytester.makeconftest("""
        import sys
        sys.modules["smartcard"] = None
    """)
    pytester.makepyfile("""
        def test_reader(scsim_reader):
            pass
    """)
    r = run(pytester)
    r.assert_outcomes(errors=1)
    r.stdout.fnmatch_lines(["*pyscard is missing*cannot import smartcard.scard*python3-pyscard*"])


def test_fault_marker_needs_a_kind(pytester):
    pytester.makepyfile("""
        import pytest

        @pytest.mark.scsim_fault(sw="6F00")
        def test_reader(scsim_reader):
            pass
    """)
    r = run(pytester, "--scsim-scsim", "/nonexistent/scsim")
    # The run cannot start (no such scsim): the message names the command.
    assert r.ret != 0
    r.stdout.fnmatch_lines(["*/nonexistent/scsim*"])


def test_a_run_without_control_socket_says_so(tmp_path):
    from scsim.control import Control, socket_path
    from scsim.errors import ControlUnavailable

    assert socket_path({"SCSIM_RUN_DIR": "/r"}) == "/r/control.sock"
    assert socket_path({"SCSIM_CONTROL": "/c.sock", "SCSIM_RUN_DIR": "/r"}) == "/c.sock"
    assert socket_path({}) is None
    with pytest.raises(ControlUnavailable, match="no control socket at .*control.sock"):
        Control(str(tmp_path / "control.sock")).request("status")
