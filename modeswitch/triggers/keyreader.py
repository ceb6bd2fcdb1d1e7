"""Reading a TV remote (CEC) or a host keyboard for combos: key presses only, never grabbed.

The keyboard stays the user's: nothing is grabbed, so every key still reaches the desktop (or
QEMU, while its grab holds the keyboard in desk mode, when the host sees none of it). Which
node is which: the remote by bus type BUS_CEC (its name is the adapter's, e.g. the serio
device's for a Pulse-Eight), a keyboard by having letter, Enter and Space keys.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import evdev

from modeswitch.model import ComboSource
from modeswitch.triggers.combos import EV_KEY
from modeswitch.triggers.keys import BUS_CEC, is_keyboard, key_name
from modeswitch.triggers.pads import InputIdentity, PadReader, raw_capabilities

log = logging.getLogger(__name__)


def key_source(device: evdev.InputDevice, identity: InputIdentity,
               wanted: frozenset[ComboSource]) -> ComboSource | None:
    """What a node is to the combos: a pad, the remote, a keyboard, or nothing we read."""
    if identity.gamepad:
        return ComboSource.PAD
    if not wanted - {ComboSource.PAD}:
        return None
    keys = raw_capabilities(device).get(EV_KEY, [])
    if ComboSource.REMOTE in wanted and device.info.bustype == BUS_CEC and keys:
        return ComboSource.REMOTE
    if ComboSource.KEYBOARD in wanted and device.info.bustype != BUS_CEC and is_keyboard(keys):
        return ComboSource.KEYBOARD
    return None


class KeyReader(PadReader):
    """A PadReader whose changes are key names; no rumble (a keyboard has none to give)."""

    def __init__(self, device: evdev.InputDevice, source: ComboSource,
                 on_change: Callable[[PadReader, str, int], None],
                 on_gone: Callable[[PadReader], None]) -> None:
        super().__init__(device, 0.5, on_change, on_gone)
        self.source = source
        self._names: dict[int, str] = {}

    def _raw(self, etype: int, code: int, value: int) -> None:
        if etype != EV_KEY or value == 2:  # autorepeat is not a new press
            return
        name = self._names.get(code)
        if name is None:
            name = self._names[code] = key_name(code)
        self._on_change(self, name, value)

    def rumble(self) -> None:
        return
