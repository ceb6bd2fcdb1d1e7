"""Generic HID gamepads: where the buttons and the hat sit in their reports, from the report
descriptor (HID 1.11, 6.2.2), so a pad no table knows can still be read inside the VM.

The descriptor is read from sysfs while the host still drives the pad (the VM's usbfs claim
unbinds the HID driver and its sysfs node goes with it), or from a capture's
GET_DESCRIPTOR(Report) reply. Buttons are named the way the kernel's hid-input names them on a
gamepad collection: Button n is BTN_GAMEPAD + n - 1 (south, east, C, north, west, Z, tl, tr,
tl2, tr2, select, start, mode, thumbl, thumbr), the hat switch is the d-pad. Analog axes are
left alone: which of Z/Rz/Rx is a trigger differs by pad. Only a Gamepad collection counts: a
Joystick's buttons are BTN_TRIGGER.. on the host too, which no combo can name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from modeswitch.buttons import KEY_NAMES
from modeswitch.usbmon.reports import HAT, BadReport, Snapshot

PAGE_DESKTOP, PAGE_BUTTON = 0x01, 0x09
USAGE_GAMEPAD, USAGE_HAT = 0x05, 0x39
BTN_GAMEPAD = 0x130
MAX_BUTTONS = 15  # BTN_SOUTH .. BTN_THUMBR


class BadDescriptor(ValueError):
    """A report descriptor that is cut short or describes no gamepad."""


@dataclass(frozen=True)
class HidLayout:
    """Bit positions (from the start of the report, report ID byte included) per report ID."""

    report_id: int | None
    buttons: tuple[tuple[int, str], ...]  # (bit, button name)
    hat: tuple[int, int, int, int] | None = None  # (bit, size, logical min, logical max)
    length: int = 0  # bytes a report needs to hold every field above

    def decode(self, payload: bytes) -> Snapshot | None:
        if self.report_id is not None and (not payload or payload[0] != self.report_id):
            return None
        if len(payload) < self.length:
            raise BadReport(f"HID report of {len(payload)} bytes, needs {self.length}")
        value = int.from_bytes(payload[:self.length], "little")
        held = [name for bit, name in self.buttons if value >> bit & 1]
        if self.hat is not None:
            bit, size, low, high = self.hat
            direction = (value >> bit & ((1 << size) - 1)) - low
            if 0 <= direction < len(HAT) and direction <= high - low:
                held += HAT[direction]
        return Snapshot(frozenset(held))

    def key(self, payload: bytes) -> bytes:
        return payload[:self.length]


@dataclass
class _Fields:
    buttons: list[tuple[int, str]] = field(default_factory=list)
    hat: tuple[int, int, int, int] | None = None


@dataclass
class _State:
    page: int = 0
    low: int = 0
    high: int = 0
    size: int = 0
    count: int = 0
    report_id: int | None = None
    usages: list[tuple[int, int]] = field(default_factory=list)  # (page, usage)
    usage_min: int | None = None
    stack: list[tuple[int, int, int, int, int, int | None]] = field(default_factory=list)


def _items(descriptor: bytes) -> list[tuple[int, int, int, int, int]]:
    """(type, tag, unsigned value, signed value, size) per short item; long items skipped."""
    items, offset = [], 0
    while offset < len(descriptor):
        prefix = descriptor[offset]
        if prefix == 0xFE:  # long item: size byte, tag byte, data
            if offset + 1 >= len(descriptor):
                raise BadDescriptor("report descriptor cut short in a long item")
            offset += 3 + descriptor[offset + 1]
            continue
        size = (0, 1, 2, 4)[prefix & 3]
        data = descriptor[offset + 1:offset + 1 + size]
        if len(data) < size:
            raise BadDescriptor(f"report descriptor cut short at byte {offset}")
        unsigned = int.from_bytes(data, "little")
        signed = int.from_bytes(data, "little", signed=True)
        items.append(((prefix >> 2) & 3, prefix >> 4, unsigned, signed, size))
        offset += 1 + size
    return items


def parse_descriptor(descriptor: bytes) -> HidLayout:
    """The gamepad's input report: its buttons and hat. BadDescriptor when there is none."""
    state = _State()
    bits: dict[int | None, int] = {}
    in_pad = depth = 0
    found: dict[int | None, _Fields] = {}
    for kind, tag, value, signed, size in _items(descriptor):
        if kind == 1:
            _global(state, tag, value, signed)
        elif kind == 2:
            _local(state, tag, value, size)
        elif kind == 0:
            if tag == 0x0A:  # collection
                depth += 1
                if not in_pad and state.usages and state.usages[0] == (PAGE_DESKTOP, USAGE_GAMEPAD):
                    in_pad = depth
            elif tag == 0x0C:  # end collection
                in_pad = 0 if depth == in_pad else in_pad
                depth -= 1
            elif tag == 0x08:  # input
                start = bits.get(state.report_id, 8 if state.report_id is not None else 0)
                if in_pad and not value & 0x01:  # data, not constant padding
                    _input(found.setdefault(state.report_id, _Fields()), state, start)
                bits[state.report_id] = start + state.size * state.count
            state.usages, state.usage_min = [], None
    return _layout(found)


def _global(state: _State, tag: int, value: int, signed: int) -> None:
    if tag == 0x0:
        state.page = value
    elif tag == 0x1:
        state.low = signed
    elif tag == 0x2:
        state.high = signed if state.low < 0 else value
    elif tag == 0x7:
        state.size = value
    elif tag == 0x8:
        state.report_id = value
    elif tag == 0x9:
        state.count = value
    elif tag == 0xA:
        state.stack.append((state.page, state.low, state.high, state.size, state.count, state.report_id))
    elif tag == 0xB and state.stack:
        state.page, state.low, state.high, state.size, state.count, state.report_id = state.stack.pop()


def _local(state: _State, tag: int, value: int, size: int) -> None:
    page = value >> 16 if size == 4 else state.page
    usage = value & 0xFFFF
    if tag == 0x0:
        state.usages.append((page, usage))
    elif tag == 0x1:
        state.usage_min = usage
    elif tag == 0x2 and state.usage_min is not None:
        state.usages += [(page, u) for u in range(state.usage_min, usage + 1)]


def _input(fields: _Fields, state: _State, start: int) -> None:
    usages = state.usages or [(state.page, 0)]
    for index in range(state.count):
        page, usage = usages[min(index, len(usages) - 1)]
        bit = start + index * state.size
        if page == PAGE_BUTTON and state.size == 1 and 1 <= usage <= MAX_BUTTONS:
            name = KEY_NAMES.get(BTN_GAMEPAD + usage - 1)
            if name is not None:
                fields.buttons.append((bit, name))
        elif (page, usage) == (PAGE_DESKTOP, USAGE_HAT) and fields.hat is None:
            fields.hat = (bit, state.size, state.low, state.high)


def _layout(found: dict[int | None, _Fields]) -> HidLayout:
    for report_id, fields in found.items():
        if fields.buttons:
            hat = fields.hat
            ends = [bit + 1 for bit, _ in fields.buttons] + ([hat[0] + hat[1]] if hat else [])
            return HidLayout(report_id, tuple(fields.buttons), hat, (max(ends) + 7) // 8)
    raise BadDescriptor("the report descriptor has no gamepad collection with buttons (a joystick's "
                        "buttons have no gamepad names, on the host either)")
