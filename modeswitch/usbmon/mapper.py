"""One pad's reports → button changes, and which protocol a USB pad speaks.

The mapper keeps the last snapshot and hands the chord detector only what changed, with
analog triggers turned into presses by the same threshold and hysteresis as the evdev path
(triggers/combos.py), so a combo behaves alike wherever the pad is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol as Shape

from modeswitch.buttons import HYSTERESIS, NOTHING, Change
from modeswitch.usbmon.hid import HidLayout
from modeswitch.usbmon.reports import (
    DECODERS,
    GIP_GUIDE,
    GIP_INPUT,
    KEY_BYTES,
    TRIGGER_MAX,
    Decoder,
    Protocol,
    Snapshot,
)

# vendor:product → protocol for pads whose ids say it; anything else is told by its reports.
KNOWN: dict[tuple[int, int], Protocol] = {
    (0x045E, 0x028E): Protocol.XBOX360, (0x045E, 0x028F): Protocol.XBOX360,
    (0x045E, 0x0719): Protocol.XBOX360_WIRELESS, (0x045E, 0x0291): Protocol.XBOX360_WIRELESS,
    (0x045E, 0x02D1): Protocol.GIP, (0x045E, 0x02DD): Protocol.GIP, (0x045E, 0x02E3): Protocol.GIP,
    (0x045E, 0x02EA): Protocol.GIP, (0x045E, 0x0B00): Protocol.GIP, (0x045E, 0x0B12): Protocol.GIP,
    (0x054C, 0x05C4): Protocol.DUALSHOCK4, (0x054C, 0x09CC): Protocol.DUALSHOCK4,
    (0x054C, 0x0BA0): Protocol.DUALSHOCK4,
    (0x054C, 0x0CE6): Protocol.DUALSENSE, (0x054C, 0x0DF2): Protocol.DUALSENSE,
    (0x057E, 0x2009): Protocol.SWITCH_PRO,
    (0x054C, 0x0268): Protocol.DUALSHOCK3,
}

# Pads that are USB gamepads to the host but whose buttons usbmon cannot show: the reason.
# (The Xbox Wireless Adapter was here until its frames were decoded: xbox_adapter.py.)
UNREADABLE: dict[tuple[int, int], str] = {}


def protocol_for(vendor: int, product: int) -> Protocol | None:
    return KNOWN.get((vendor, product))


def guess_protocol(payload: bytes, previous: bytes | None = None) -> Protocol | None:
    """From a report's shape alone (a capture without the device descriptor, an unknown id).

    DualShock 4 and DualSense both send 64-byte report 0x01; their byte 7 tells them apart
    over two reports: a DualSense counts it up by one, a DualShock 4 by four (its low two
    bits are PS and touchpad). With one report only, None: wait for the next."""
    size = len(payload)
    if size >= 20 and payload[0] == 0x00 and payload[1] == 0x14:
        return Protocol.XBOX360
    if size == 29 and payload[1] in (0x00, 0x01) and payload[0] & 0xF0 == 0:
        return Protocol.XBOX360_WIRELESS
    if size >= 10 and payload[0] in (GIP_INPUT, GIP_GUIDE) and payload[3] == size - 4:
        return Protocol.GIP
    if size >= 12 and payload[0] == 0x30:
        return Protocol.SWITCH_PRO
    if size == 49 and payload[0] == 0x01 and payload[1] == 0x00:
        return Protocol.DUALSHOCK3
    if size == 64 and payload[0] == 0x01 and previous is not None and len(previous) == 64:
        step = (payload[7] - previous[7]) & 0xFF
        if step == 1:
            return Protocol.DUALSENSE
        if (payload[7] >> 2) - (previous[7] >> 2) & 0x3F == 1:
            return Protocol.DUALSHOCK4
    return None


class Layout(Shape):
    """Where a pad's buttons sit when no protocol table says it: a HID descriptor's layout
    (hid.py) or a Bluetooth pad's report-id dispatch (bt_reports.py)."""

    def decode(self, payload: bytes) -> Snapshot | None: ...

    def key(self, payload: bytes) -> bytes: ...


class ReportMapper:
    """Reports of one pad → (button, 1/0) changes. `feed` raises BadReport on a short report."""

    def __init__(self, protocol: Protocol, threshold: float, layout: Layout | HidLayout | None = None) -> None:
        self.protocol = protocol
        self._decode: Decoder = layout.decode if layout is not None else DECODERS[protocol]
        # the bytes that hold buttons and triggers; the usbmon framing drops a report equal
        # there to the last one before this mapper sees it (monbin.QuietReports)
        self.key_of: Callable[[bytes], bytes] = layout.key if layout is not None else KEY_BYTES[protocol]
        self._last_key: bytes | None = None
        full = TRIGGER_MAX.get(protocol, 255)
        self._press = threshold * full
        self._release = self._press - HYSTERESIS * full
        self._held: set[str] = set()  # digital buttons held
        self._pulled: set[str] = set()  # analog triggers past the threshold
        self._guide = False  # GIP: Guide lives in its own message

    def reset(self) -> list[Change]:
        """Everything held, as releases; the mapper starts over (pad gone or node closed)."""
        released = [(name, 0) for name in sorted(self._held | self._pulled)]
        self._held, self._pulled, self._guide, self._last_key = set(), set(), False, None
        return released

    def feed(self, payload: bytes) -> Sequence[Change]:
        key = self.key_of(payload)
        if key == self._last_key:
            return NOTHING
        snapshot = self._decode(payload)
        if snapshot is None:
            return NOTHING
        self._last_key = key
        return self._apply(snapshot)

    def _apply(self, snapshot: Snapshot) -> list[Change]:
        buttons = set(snapshot.buttons)
        if snapshot.triggers and snapshot.triggers[0][0] == "guide":
            self._guide = "BTN_MODE" in buttons
            buttons = (self._held - {"BTN_MODE"}) | ({"BTN_MODE"} if self._guide else set())
            return self._diff(buttons, self._pulled)
        if self._guide:  # set only by a pad that sends Guide in a message of its own
            buttons.add("BTN_MODE")
        return self._diff(buttons, self._levels(snapshot.triggers))

    def _levels(self, triggers: tuple[tuple[str, int], ...]) -> set[str]:
        pulled = set()
        for name, value in triggers:
            was = name in self._pulled
            if value >= self._press if not was else value > self._release:
                pulled.add(name)
        return pulled

    def _diff(self, buttons: set[str], pulled: set[str]) -> list[Change]:
        before = self._held | self._pulled
        after = buttons | pulled
        self._held, self._pulled = buttons, pulled
        changes: list[Change] = [(name, 0) for name in sorted(before - after)]
        changes += [(name, 1) for name in sorted(after - before)]
        return changes
