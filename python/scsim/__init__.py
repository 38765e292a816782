# SPDX-License-Identifier: MIT
"""scsim: software smart cards for tests, in this process (Card) or in readers (Run)."""
from .card import Card
from .control import Control
from .errors import (CardError, ControlError, ControlUnavailable, LibraryError, ProfileError,
                     RunError, ScsimError, StateError)
from .run import Run

__version__ = "0.1.0"
__all__ = ["Card", "Run", "Control", "ScsimError", "LibraryError", "ProfileError", "StateError",
           "CardError", "RunError", "ControlError", "ControlUnavailable"]
