"""Triggers: things outside the CLI that ask the daemon for a transition.

The daemon builds one GamepadTriggers with a Requester (its request queue) and a SeatView
(what mode it is in, whether the VM runs), and awaits start()/stop().
"""

from modeswitch.triggers.base import Requester, SeatView
from modeswitch.triggers.gamepads import GamepadTriggers

__all__ = ["GamepadTriggers", "Requester", "SeatView"]
