# SPDX-License-Identifier: MIT
"""scsim.Card: a software card in this process, over libscsim (no pcscd, microseconds per APDU)."""
import ctypes
import os

from . import _lib
from .errors import CardError, ProfileError, StateError


def to_bytes(apdu):
    """An APDU given as bytes, a bytearray, a list of ints or hex text ("00 A4 04 00")."""
    if isinstance(apdu, (bytes, bytearray, memoryview)):
        return bytes(apdu)
    if isinstance(apdu, str):
        try:
            return bytes.fromhex(apdu.replace(":", " "))
        except ValueError:
            raise ValueError("APDU %r is not hex text (two digits a byte)" % apdu) from None
    return bytes(apdu)


def _borrowed(fn, card):
    ptr = ctypes.POINTER(ctypes.c_uint8)()
    n = ctypes.c_size_t(0)
    rc = fn(card, ctypes.byref(ptr), ctypes.byref(n))
    return rc, (ctypes.string_at(ptr, n.value) if rc == 0 and n.value else b"")


class Snapshot:
    """A card's durable state at one moment, held in memory until freed."""

    def __init__(self, card):
        self._lib = card._lib
        self._card = card
        self._snap = ctypes.c_void_p()
        rc = self._lib.scsim_card_snapshot(card._live(), ctypes.byref(self._snap))
        card._check("snapshot", rc)

    def __del__(self):
        if getattr(self, "_snap", None):
            self._lib.scsim_snapshot_free(ctypes.byref(self._snap))


class Card:
    """A card made from a profile (a shipped name such as "piv", or a YAML file's path), powered
    on; with state, its durable state lives in that file (docs/state.md)."""

    def __init__(self, profile="iso7816-chv", state=None, power=True, seed=None):
        self._lib = _lib.lib()
        self._card = ctypes.c_void_p()
        self._profile = ctypes.c_void_p()
        self.state = os.fspath(state) if state is not None else None
        diag = _lib.Diag()
        rc = self._lib.scsim_profile_open(os.fsencode(os.fspath(profile)),
                                          ctypes.byref(self._profile), ctypes.byref(diag))
        if rc != 0:
            raise ProfileError(_lib.diag_text(diag))
        self._card = ctypes.c_void_p(self._lib.scsim_card_new(self._profile))
        if not self._card:
            self.close()
            raise CardError("scsim_card_new: out of memory", -2)
        if seed is not None:
            seed = to_bytes(seed)
            self._check("scsim_card_set_random_seed",
                        self._lib.scsim_card_set_random_seed(self._card, seed, len(seed)))
        if self.state is not None:
            rc = self._lib.scsim_card_attach_state(self._card, os.fsencode(self.state),
                                                   ctypes.byref(diag))
            if rc != 0:
                self.close()
                raise StateError(_lib.diag_text(diag))
        self._rapdu = ctypes.create_string_buffer(_lib.RAPDU_MAX)
        self._rlen = ctypes.c_size_t(0)
        if power:
            self.power_on()

    def _check(self, what, rc):
        if rc != 0:
            raise CardError("%s: %s" % (what, _lib.strerror(rc)), rc)

    def _live(self):
        if not self._card:
            raise CardError("the card was closed")
        return self._card

    @property
    def profile(self):
        """The profile's name ("iso7816-chv", "piv", ...)."""
        return self._lib.scsim_profile_name(self._profile).decode()

    def power_on(self):
        """Cold reset: every security status cleared, durable state kept. Returns the ATR."""
        rc, atr = _borrowed(self._lib.scsim_card_power_on, self._live())
        self._check("power on", rc)
        return atr

    def reset(self):
        """Warm reset (the card must be powered). Returns the ATR."""
        rc, atr = _borrowed(self._lib.scsim_card_reset, self._live())
        self._check("reset", rc)
        return atr

    def power_off(self):
        self._check("power off", self._lib.scsim_card_power_off(self._live()))

    @property
    def powered(self):
        return self._lib.scsim_card_is_powered(self._live()) == 1

    @property
    def atr(self):
        rc, atr = _borrowed(self._lib.scsim_card_atr, self._live())
        self._check("ATR", rc)
        return atr

    @property
    def serial(self):
        rc, serial = _borrowed(self._lib.scsim_card_serial, self._live())
        self._check("serial", rc)
        return serial

    def transmit(self, apdu):
        """Send one C-APDU (bytes, list of ints or hex text); returns (data, sw) with sw an int
        such as 0x9000. A card's error is a status word, not an exception."""
        capdu = to_bytes(apdu)
        if not 0 < len(capdu) <= _lib.CAPDU_MAX:
            raise ValueError("an APDU is 1 to %d bytes, not %d" % (_lib.CAPDU_MAX, len(capdu)))
        rc = self._lib.scsim_card_transmit(self._live(), capdu, len(capdu), self._rapdu,
                                           _lib.RAPDU_MAX, ctypes.byref(self._rlen))
        self._check("transmit", rc)
        n = self._rlen.value
        raw = ctypes.string_at(self._rapdu, n)
        return raw[:-2], (raw[-2] << 8) | raw[-1]

    def tries(self):
        """Tries left per reference data (CHVs, then keys), by profile name; 0: blocked."""
        out = {}

        def one(_arg, name, tries):
            out[name.decode()] = tries

        fn = _lib.TriesFn(one)
        self._check("tries", self._lib.scsim_card_tries(self._live(), fn, None))
        return out

    def status(self):
        """As the control socket's status reports a slot: profile, powered, state file, and
        tries left per reference."""
        return {"profile": self.profile, "powered": self.powered, "state": self.state,
                "tries": self.tries()}

    def snapshot(self):
        """A copy of the card's durable state (codes, tries, files, keys) for restore()."""
        return Snapshot(self)

    def restore(self, snapshot):
        """Put a snapshot of this card back (and into its state file), then a cold start: no
        security status survives. Returns the ATR."""
        if snapshot._card is not self or not snapshot._snap:
            raise ValueError("a snapshot goes back only to the card it was taken of")
        self._check("restore", self._lib.scsim_card_restore(self._live(), snapshot._snap))
        return self.power_on()

    def reset_state(self):
        """The card's durable state back to its profile (a fresh card), then a cold start.
        Returns the ATR."""
        self._check("reset state", self._lib.scsim_card_reset_state(self._live()))
        return self.power_on()

    def close(self):
        """Free the card (its state file, if any, is already up to date) and its profile."""
        lib = getattr(self, "_lib", None)
        if lib is None:
            return
        if getattr(self, "_card", None):
            lib.scsim_card_free(ctypes.byref(self._card))
        if getattr(self, "_profile", None):
            lib.scsim_profile_free(ctypes.byref(self._profile))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def __repr__(self):
        return "<scsim.Card %s%s>" % (self.profile if self._profile else "(closed)",
                                      " state=%s" % self.state if self.state else "")
