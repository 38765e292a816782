# SPDX-License-Identifier: MIT
"""Finding and loading libscsim, and the ctypes prototypes of the calls the package makes."""
import ctypes
import ctypes.util
import os
from pathlib import Path

from .errors import LibraryError

RAPDU_MAX = 65536 + 2
CAPDU_MAX = 4 + 3 + 65535 + 2

class Diag(ctypes.Structure):
    _fields_ = [("file", ctypes.c_char * 256), ("line", ctypes.c_uint),
                ("column", ctypes.c_uint), ("message", ctypes.c_char * 512)]


TriesFn = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint)

_P = ctypes.c_void_p
_PP = ctypes.POINTER(ctypes.c_void_p)
_BYTES_OUT = ctypes.POINTER(ctypes.POINTER(ctypes.c_uint8))
_SIZE_OUT = ctypes.POINTER(ctypes.c_size_t)
_INT = ctypes.c_int

# name: (result, argument types)
_PROTOTYPES = {
    "scsim_strerror": (ctypes.c_char_p, [_INT]),
    "scsim_diag_format": (None, [ctypes.POINTER(Diag), ctypes.c_char_p, ctypes.c_size_t]),
    "scsim_profile_open": (_INT, [ctypes.c_char_p, _PP, ctypes.POINTER(Diag)]),
    "scsim_profile_free": (None, [_PP]),
    "scsim_profile_name": (ctypes.c_char_p, [_P]),
    "scsim_card_new": (_P, [_P]),
    "scsim_card_free": (None, [_PP]),
    "scsim_card_power_on": (_INT, [_P, _BYTES_OUT, _SIZE_OUT]),
    "scsim_card_reset": (_INT, [_P, _BYTES_OUT, _SIZE_OUT]),
    "scsim_card_power_off": (_INT, [_P]),
    "scsim_card_is_powered": (_INT, [_P]),
    "scsim_card_atr": (_INT, [_P, _BYTES_OUT, _SIZE_OUT]),
    "scsim_card_serial": (_INT, [_P, _BYTES_OUT, _SIZE_OUT]),
    "scsim_card_set_random_seed": (_INT, [_P, ctypes.c_char_p, ctypes.c_size_t]),
    "scsim_card_transmit": (_INT, [_P, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p,
                                   ctypes.c_size_t, _SIZE_OUT]),
    "scsim_card_attach_state": (_INT, [_P, ctypes.c_char_p, ctypes.POINTER(Diag)]),
    "scsim_card_tries": (_INT, [_P, TriesFn, ctypes.c_void_p]),
    "scsim_card_snapshot": (_INT, [_P, _PP]),
    "scsim_card_restore": (_INT, [_P, _P]),
    "scsim_snapshot_free": (None, [_PP]),
    "scsim_card_reset_state": (_INT, [_P]),
}

_lib = None


def candidates():
    """Where libscsim is looked for, in order: $SCSIM_LIBRARY alone when set; else the build
    tree beside this source tree (build/sim/libscsim.so); then the system's libscsim.so.0."""
    env = os.environ.get("SCSIM_LIBRARY")
    if env:
        return [env]
    found = []
    source = Path(__file__).resolve().parent.parent.parent
    built = source / "build" / "sim" / "libscsim.so"
    if (source / "sim" / "libscsim.map").is_file() and built.is_file():
        found.append(str(built))
    found.append(ctypes.util.find_library("scsim") or "libscsim.so.0")
    return found


def lib():
    """The loaded library, with every prototype set; LibraryError naming what was tried."""
    global _lib
    if _lib is not None:
        return _lib
    tried = []
    for path in candidates():
        try:
            handle = ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
            continue
        missing = [name for name in _PROTOTYPES if not hasattr(handle, name)]
        if missing:
            tried.append("%s (too old: no %s)" % (path, ", ".join(missing)))
            continue
        for name, (res, args) in _PROTOTYPES.items():
            fn = getattr(handle, name)
            fn.restype = res
            fn.argtypes = args
        _lib = handle
        return _lib
    raise LibraryError(
        "libscsim not found; tried: %s. Build scsim (bash scripts/build build), install it "
        "(libscsim0), or set SCSIM_LIBRARY to the path of libscsim.so" % "; ".join(tried))


def strerror(err):
    return lib().scsim_strerror(err).decode()


def diag_text(diag):
    buf = ctypes.create_string_buffer(1024)
    lib().scsim_diag_format(ctypes.byref(diag), buf, len(buf))
    return buf.value.decode(errors="replace")
