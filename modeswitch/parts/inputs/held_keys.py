"""Which keys are down on an input device, so nothing is grabbed mid-keypress.

A grab while a key is held leaves that key stuck: the host never sees its release, and the
guest never saw its press. Rule 7 of the house, made checkable.
"""

from __future__ import annotations

import errno
from typing import Protocol

import evdev

from modeswitch.errors import BackendError


class HeldKeys(Protocol):
    def held_keys(self, path: str) -> set[int]: ...


class EvdevHeldKeys:
    """Asks the kernel (EVIOCGKEY through python-evdev's active_keys) for the keys down now."""

    def held_keys(self, path: str) -> set[int]:
        try:
            device = evdev.InputDevice(path)
        except FileNotFoundError:
            raise BackendError(f"input device {path} is not present",
                               "check the path under /dev/input/by-id") from None
        except PermissionError:
            raise BackendError(f"no permission to read {path}",
                               "join the 'input' group or add a udev rule") from None
        except OSError as err:
            if err.errno == errno.ENOTTY:
                raise BackendError(f"{path} is not an evdev input device") from None
            raise BackendError(f"cannot open {path}: {err.strerror}") from None
        try:
            return set(device.active_keys())
        finally:
            device.close()
