# SPDX-License-Identifier: MIT
"""A reader of a run as PC/SC applications see it (pyscard), and the message when pyscard is
missing."""
import sys

from .card import to_bytes


def import_scard():
    """pyscard's smartcard.scard, or ImportError saying which interpreter lacks it and how to
    get it there."""
    try:
        from smartcard import scard
    except ImportError as e:
        where = "%s (Python %d.%d)" % (sys.executable, *sys.version_info[:2])
        if sys.prefix != sys.base_prefix:
            hint = ("this is a venv: Debian's python3-pyscard serves /usr/bin/python3 only. "
                    "Create the venv with --system-site-packages (from /usr/bin/python3), or "
                    "`pip install pyscard` in it (builds against libpcsclite-dev with swig)")
        else:
            hint = ("install Debian's python3-pyscard (apt-get install python3-pyscard) for "
                    "/usr/bin/python3, or `pip install pyscard` for this interpreter")
        raise ImportError("pyscard is missing: %s cannot import smartcard.scard (%s); %s"
                          % (where, e, hint)) from None
    return scard


class PcscError(Exception):
    """A PC/SC call failed; hr is its result code."""

    def __init__(self, what, hr, scard):
        super().__init__("%s: %s (0x%08X)" % (what, scard.SCardGetErrorMessage(hr),
                                              hr & 0xFFFFFFFF))
        self.hr = hr


class Connection:
    """One PC/SC connection (shared mode, T=0 or T=1) to a reader."""

    def __init__(self, reader, share=None):
        self.scard = scard = import_scard()
        self.reader = reader
        self.context = self.handle = None
        hr, self.context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        self._check("SCardEstablishContext", hr)
        share = scard.SCARD_SHARE_SHARED if share is None else share
        hr, self.handle, self.protocol = scard.SCardConnect(
            self.context, reader, share, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
        self._check("SCardConnect(%s)" % reader, hr)

    def _check(self, what, hr):
        if hr != self.scard.SCARD_S_SUCCESS:
            raise PcscError(what, hr, self.scard)

    def transmit(self, apdu):
        """(data, sw) as Card.transmit gives them, through pcscd."""
        hr, resp = self.scard.SCardTransmit(self.handle, self.protocol, list(to_bytes(apdu)))
        self._check("SCardTransmit", hr)
        if len(resp) < 2:
            raise PcscError("SCardTransmit: answer without a status word", 0, self.scard)
        return bytes(resp[:-2]), (resp[-2] << 8) | resp[-1]

    @property
    def atr(self):
        hr, _, _, _, atr = self.scard.SCardStatus(self.handle)
        self._check("SCardStatus", hr)
        return bytes(atr)

    def reconnect(self, disposition=None):
        """SCardReconnect; disposition defaults to a warm reset (SCARD_RESET_CARD)."""
        s = self.scard
        hr, self.protocol = s.SCardReconnect(
            self.handle, s.SCARD_SHARE_SHARED, s.SCARD_PROTOCOL_T0 | s.SCARD_PROTOCOL_T1,
            s.SCARD_RESET_CARD if disposition is None else disposition)
        self._check("SCardReconnect", hr)

    def close(self):
        if self.handle is not None:
            self.scard.SCardDisconnect(self.handle, self.scard.SCARD_LEAVE_CARD)
            self.handle = None
        if self.context is not None:
            self.scard.SCardReleaseContext(self.context)
            self.context = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Reader:
    """One slot of a run: its reader name, connections to it, and the control operations
    bound to the slot (reader.remove(), reader.fault("sw", sw="6F00"), ...)."""

    def __init__(self, run, slot=0):
        self.run = run
        self.slot = slot
        self.name = run.readers[slot]
        self._connections = []

    def connect(self, share=None):
        """A new PC/SC connection, closed at the end of the test if not before."""
        c = Connection(self.name, share)
        self._connections.append(c)
        return c

    def environ(self, base=None):
        """An environment for a subprocess, with SCSIM_READER this slot's reader."""
        env = self.run.environ(base)
        env["SCSIM_READER"] = self.name
        return env

    def close(self):
        for c in self._connections:
            c.close()
        self._connections = []

    # The run's control operations, bound to this slot.
    def status(self):
        return self.run.status(self.slot)

    def insert(self, profile=None, state=None):
        return self.run.insert(self.slot, profile=profile, state=state)

    def remove(self):
        return self.run.remove(self.slot)

    def swap(self, profile=None, state=None):
        return self.run.swap(self.slot, profile=profile, state=state)

    def power(self, action="cycle"):
        return self.run.power(self.slot, action)

    def reset(self, in_place=False):
        return self.run.reset(self.slot, in_place=in_place)

    def snapshot(self):
        return self.run.snapshot(self.slot)

    def restore(self, snapshot):
        return self.run.restore(snapshot, slot=self.slot)

    def fault(self, kind, **fields):
        return self.run.fault(kind, slot=self.slot, **fields)

    def clear(self, fault=None):
        return self.run.clear(self.slot, fault=fault)

    def __repr__(self):
        return "<scsim.Reader %d %r>" % (self.slot, self.name)
