# SPDX-License-Identifier: MIT
"""The control socket of a `scsim run` (docs/control.md): one JSON object a line each way."""
import json
import os
import socket

from .errors import ControlError, ControlUnavailable

# Operations wait until their effect is visible through PC/SC; a mute fault can hold a client
# for its timeout. Long enough for both, short enough that a hung bridge fails the test.
DEFAULT_TIMEOUT = 60.0


def socket_path(env=None):
    """The control socket a run exported: $SCSIM_CONTROL, else control.sock in $SCSIM_RUN_DIR."""
    env = os.environ if env is None else env
    if env.get("SCSIM_CONTROL"):
        return env["SCSIM_CONTROL"]
    if env.get("SCSIM_RUN_DIR"):
        return os.path.join(env["SCSIM_RUN_DIR"], "control.sock")
    return None


class Control:
    """A connection to one run's control socket, opened at the first request."""

    def __init__(self, path, timeout=DEFAULT_TIMEOUT):
        self.path = path
        self.timeout = timeout
        self._sock = None
        self._file = None

    def _connect(self):
        if self._sock is not None:
            return
        if self.path is None or not os.path.exists(self.path):
            raise ControlUnavailable(
                "no control socket%s: this scsim run has no control interface (its scsim-vpcd "
                "needs --control; scsim run creates it when built with it). Use a scsim that "
                "exports SCSIM_CONTROL" % (" at " + self.path if self.path else ""))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        try:
            s.connect(self.path)
        except OSError as e:
            s.close()
            raise ControlUnavailable("control socket %s: %s" % (self.path, e)) from None
        self._sock = s
        self._file = s.makefile("rb")

    def close(self):
        if self._file is not None:
            self._file.close()
        if self._sock is not None:
            self._sock.close()
        self._sock = self._file = None

    def request(self, op, **fields):
        """Send {"op": op, ...} (fields that are None left out); the reply's fields, or
        ControlError with the server's words."""
        msg = {"op": op}
        msg.update({k: v for k, v in fields.items() if v is not None})
        self._connect()
        try:
            self._sock.sendall(json.dumps(msg).encode() + b"\n")
            line = self._file.readline()
        except OSError as e:
            self.close()
            raise ControlError("control %s: %s (socket %s)" % (op, e, self.path)) from None
        if not line:
            self.close()
            raise ControlError("control %s: the bridge closed the socket %s without an answer"
                               % (op, self.path))
        try:
            reply = json.loads(line)
        except ValueError:
            raise ControlError("control %s: the answer is not JSON: %r" % (op, line[:200])) from None
        if not isinstance(reply, dict) or reply.get("ok") is not True:
            err = reply.get("error") if isinstance(reply, dict) else None
            raise ControlError("control %s %s: %s" % (
                op, json.dumps(fields, sort_keys=True), err or "refused without a reason"))
        return reply


class ControlOps:
    """The operations of docs/control.md as methods; a class with a `control` attribute (a
    Control) mixes them in. slot defaults to 0, the first reader."""

    def status(self, slot=None):
        """The slots' status (a list of dicts), or one slot's when slot is given."""
        slots = self.control.request("status").get("slots", [])
        if slot is None:
            return slots
        for s in slots:
            if s.get("slot") == slot:
                return s
        raise ControlError("status: no slot %d among %d" % (slot, len(slots)))

    def insert(self, slot=0, profile=None, state=None):
        return self.control.request("insert", slot=slot, profile=profile, state=_path(state))

    def remove(self, slot=0):
        return self.control.request("remove", slot=slot)

    def swap(self, slot=0, profile=None, state=None):
        if profile is None and state is None:
            raise ValueError("swap needs a profile or a state file")
        return self.control.request("swap", slot=slot, profile=profile, state=_path(state))

    def power(self, slot=0, action="cycle"):
        if action not in ("off", "on", "cycle"):
            raise ValueError("power action is off, on or cycle, not %r" % (action,))
        return self.control.request("power", slot=slot, action=action)

    def reset(self, slot=0, in_place=False):
        """The card's state back to its profile: a fresh card in the same reader. PC/SC sees
        a removal and an insertion; with in_place, nothing (the card is cold-reset inside the
        bridge: no wait for pcscd, but a client's open handle meets the fresh card unwarned)."""
        return self.control.request("reset", slot=slot, in_place=True if in_place else None)

    def snapshot(self, slot=0):
        """An id restore() takes back to this slot's state now."""
        return self.control.request("snapshot", slot=slot)["snapshot"]

    def restore(self, snapshot, slot=0):
        return self.control.request("restore", slot=slot, snapshot=snapshot)

    def fault(self, kind, slot=0, **fields):
        """A fault (kind sw, delay, mute, drop, tear, corrupt; fields sw=, ms=, when=, offset=,
        match=, count= as docs/control.md says). Returns its id for clear()."""
        return self.control.request("fault", slot=slot, kind=kind, **fields)["fault"]

    def clear(self, slot=0, fault=None):
        """Clear one fault, or every fault of the slot."""
        return self.control.request("clear", slot=slot, fault=fault)


def _path(p):
    return None if p is None else os.fspath(p)
