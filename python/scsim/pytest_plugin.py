# SPDX-License-Identifier: MIT
"""pytest plugin (entry point pytest11 "scsim"): fixtures scsim_card and scsim_reader, options
--scsim-profile and --scsim-scsim, markers scsim_profile and scsim_fault."""
import pytest

from .card import Card
from .errors import ControlError, ControlUnavailable, ScsimError
from .pcsc import Reader, import_scard
from .run import Run


def pytest_addoption(parser):
    group = parser.getgroup("scsim", "scsim software cards")
    group.addoption("--scsim-profile", default=None, metavar="PROFILE",
                    help="profile (name or YAML file) of scsim_card and scsim_reader's cards "
                         "(default iso7816-chv)")
    group.addoption("--scsim-scsim", default=None, metavar="PATH",
                    help="the scsim command scsim_reader runs (default $SCSIM_BIN, then the "
                         "build tree's, then PATH)")
    group.addoption("--scsim-slots", default=1, type=int, metavar="N",
                    help="readers in scsim_run (1 to 16; scsim_reader uses slot 0)")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "scsim_profile(profile): the profile of this test's scsim_card")
    config.addinivalue_line(
        "markers", "scsim_fault(kind, **fields): a fault set on scsim_reader's slot through the "
                   "control socket before the test and cleared after it (docs/control.md: "
                   "sw=, ms=, when=, offset=, match=, count=)")


def _profile(request):
    marker = request.node.get_closest_marker("scsim_profile")
    if marker is not None:
        return marker.args[0] if marker.args else marker.kwargs["profile"]
    return request.config.getoption("scsim_profile") or "iso7816-chv"


@pytest.fixture
def scsim_card(request):
    """A fresh in-process card (scsim.Card), powered on, freed after the test."""
    try:
        card = Card(_profile(request))
    except ScsimError as e:
        pytest.fail(str(e), pytrace=False)
    yield card
    card.close()


@pytest.fixture(scope="session")
def scsim_run(request):
    """One `scsim run` (private pcscd, scsim-vpcd, the cards) for the whole session; its
    variables are in os.environ while it runs, for pyscard and subprocesses alike."""
    try:
        import_scard()
    except ImportError as e:
        pytest.fail(str(e), pytrace=False)
    config = request.config
    run = Run(slots=config.getoption("scsim_slots"), profile=config.getoption("scsim_profile"),
              removable=True, scsim=config.getoption("scsim_scsim"))
    try:
        run.start()
    except ScsimError as e:
        pytest.fail(str(e), pytrace=False)
    yield run
    run.stop()


def _fault_args(marker):
    fields = dict(marker.kwargs)
    if marker.args:
        fields["kind"] = marker.args[0]
    if "kind" not in fields:
        raise pytest.UsageError("scsim_fault needs a kind (sw, delay, mute, drop, tear, corrupt)")
    return fields


def fresh_reader(run, slot=0, faults=(), profile=None):
    """What scsim_reader does before a test (bench/python-reader.py measures it): no fault
    left from before, then the card back to its profile with the control socket's reset in
    place. A slot a test left empty or unpowered gets its card back first; one holding another
    card (swap, insert) gets a card like the first again (profile: its name or file). Then
    the test's faults."""
    first = getattr(run, "_scsim_first", None)
    if first is None:
        first = run._scsim_first = {s["slot"]: s for s in run.status()}
    want = first[slot]
    run.clear(slot)
    now = run.status(slot)
    if not now["present"]:
        try:
            run.insert(slot)
        except ControlError:
            run.power(slot, "on")  # powered off: still in the reader
        now = run.status(slot)
    if now["profile"] != want["profile"] or now["state"] != want["state"]:
        if want["state"] is not None:
            run.swap(slot, state=want["state"])
        else:
            run.swap(slot, profile=profile or want["profile"])
    # In place: the previous test's connections are closed, so no client can tell, and the
    # test does not wait for pcscd to poll a removal and an insertion.
    run.reset(slot, in_place=True)
    for f in faults:
        run.fault(**f)
    return Reader(run, slot)


@pytest.fixture
def scsim_reader(request, scsim_run):
    """Slot 0 of the session's run with a fresh card (the control socket's reset in place: its
    state back to the profile, no restart), the test's scsim_fault markers applied."""
    faults = [_fault_args(m) for m in request.node.iter_markers("scsim_fault")]
    try:
        reader = fresh_reader(scsim_run, 0, faults, request.config.getoption("scsim_profile"))
    except ControlUnavailable as e:
        pytest.fail("scsim_reader gives each test a fresh card through the control socket, and "
                    "this run has none: %s" % e, pytrace=False)
    except ScsimError as e:
        pytest.fail("scsim_reader: no fresh card for this test: %s" % e, pytrace=False)
    yield reader
    reader.close()
    for slot in sorted({f.get("slot", 0) for f in faults}):
        scsim_run.clear(slot)
