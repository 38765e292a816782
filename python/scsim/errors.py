# SPDX-License-Identifier: MIT
"""The exceptions the scsim package raises; each message says what to do."""


class ScsimError(Exception):
    """Base of every error of this package."""


class LibraryError(ScsimError):
    """libscsim could not be found or loaded."""


class ProfileError(ScsimError):
    """A profile could not be loaded; the message names the file, line and field."""


class StateError(ScsimError):
    """A state file was refused (corrupt, foreign, in use, unsafe)."""


class CardError(ScsimError):
    """A library call on a card failed (not a status word: those are answers)."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


class RunError(ScsimError):
    """`scsim run` could not start or stop; the message holds what it said."""


class ControlError(ScsimError):
    """The control socket refused an operation; the message is the server's."""


class ControlUnavailable(ControlError):
    """This run has no control socket (scsim too old, or the run was started without one)."""
