"""Interrupt-IN reports of USB pads → the button names the chord detector uses.

A pad passed into the VM is no longer an evdev node on the host, but its reports still cross
the host's USB stack (usbmon sees them). These decoders read the same wire layouts the
kernel drivers read (xpad.c, hid-playstation.c, hid-nintendo.c; xone for GIP), and turn
them into the Linux gamepad spec's names, by position: Nintendo's A (east) is BTN_EAST.

Each decoder is pure: payload in, `Snapshot` (digital buttons held + analog trigger values)
out, or None for a report that carries no buttons (a GIP ack, a 360 receiver's presence
packet). A payload too short for its protocol raises `BadReport`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Protocol(StrEnum):
    XBOX360 = "xbox360"  # wired 360 pads and the many X-input clones (8BitDo, PowerA, ...)
    XBOX360_WIRELESS = "xbox360-wireless"  # 045e:0719 receiver, one slot per interface
    GIP = "gip"  # Xbox One / Series wired
    DUALSHOCK4 = "dualshock4"
    DUALSENSE = "dualsense"
    SWITCH_PRO = "switch-pro"
    DUALSHOCK3 = "dualshock3"
    HID = "hid"  # a generic HID gamepad, read by its report descriptor (hid.py)
    # Behind a Bluetooth adapter (bt_reports.py): classic HID reports, and BLE HOGP.
    BT_HID = "bluetooth-hid"  # the report id says which layout: see bt_reports.BT_LAYOUTS
    XBOX_BLE = "xbox-ble"


class BadReport(ValueError):
    """A report shorter than its protocol's layout, or not of that protocol at all."""


@dataclass(frozen=True)
class Snapshot:
    buttons: frozenset[str]
    triggers: tuple[tuple[str, int], ...] = ()  # (button name, raw value), range per protocol


Decoder = Callable[[bytes], Snapshot | None]

# (mask, button) per byte, straight from the drivers' bit tests.
X360_BYTE2 = ((0x01, "BTN_DPAD_UP"), (0x02, "BTN_DPAD_DOWN"), (0x04, "BTN_DPAD_LEFT"),
              (0x08, "BTN_DPAD_RIGHT"), (0x10, "BTN_START"), (0x20, "BTN_SELECT"),
              (0x40, "BTN_THUMBL"), (0x80, "BTN_THUMBR"))
X360_BYTE3 = ((0x01, "BTN_TL"), (0x02, "BTN_TR"), (0x04, "BTN_MODE"), (0x10, "BTN_SOUTH"),
              (0x20, "BTN_EAST"), (0x40, "BTN_WEST"), (0x80, "BTN_NORTH"))
GIP_BYTE4 = ((0x04, "BTN_START"), (0x08, "BTN_SELECT"), (0x10, "BTN_SOUTH"), (0x20, "BTN_EAST"),
             (0x40, "BTN_WEST"), (0x80, "BTN_NORTH"))
GIP_BYTE5 = ((0x01, "BTN_DPAD_UP"), (0x02, "BTN_DPAD_DOWN"), (0x04, "BTN_DPAD_LEFT"),
             (0x08, "BTN_DPAD_RIGHT"), (0x10, "BTN_TL"), (0x20, "BTN_TR"), (0x40, "BTN_THUMBL"),
             (0x80, "BTN_THUMBR"))
# PlayStation: square is west, cross south, circle east, triangle north.
PS_FACE = ((0x10, "BTN_WEST"), (0x20, "BTN_SOUTH"), (0x40, "BTN_EAST"), (0x80, "BTN_NORTH"))
PS_SHOULDERS = ((0x01, "BTN_TL"), (0x02, "BTN_TR"), (0x10, "BTN_SELECT"), (0x20, "BTN_START"),
                (0x40, "BTN_THUMBL"), (0x80, "BTN_THUMBR"))
PS_SYSTEM = ((0x01, "BTN_MODE"),)
# Switch Pro (hid-nintendo JC_BTN_*): Y west, X north, B south, A east.
SWITCH_BYTE3 = ((0x01, "BTN_WEST"), (0x02, "BTN_NORTH"), (0x04, "BTN_SOUTH"), (0x08, "BTN_EAST"),
                (0x40, "BTN_TR"), (0x80, "BTN_TR2"))
# Capture is KEY_RECORD on the host too (hid-nintendo's JC_BTN_CAP).
SWITCH_BYTE4 = ((0x01, "BTN_SELECT"), (0x02, "BTN_START"), (0x04, "BTN_THUMBR"), (0x08, "BTN_THUMBL"),
                (0x10, "BTN_MODE"), (0x20, "KEY_RECORD"))
SWITCH_BYTE5 = ((0x01, "BTN_DPAD_DOWN"), (0x02, "BTN_DPAD_UP"), (0x04, "BTN_DPAD_RIGHT"),
                (0x08, "BTN_DPAD_LEFT"), (0x40, "BTN_TL"), (0x80, "BTN_TL2"))
# DualShock 3 (hid-sony's sixaxis_keymap): HID buttons 1..17 are the bits of bytes 2..4.
DS3_BYTE2 = ((0x01, "BTN_SELECT"), (0x02, "BTN_THUMBL"), (0x04, "BTN_THUMBR"), (0x08, "BTN_START"),
             (0x10, "BTN_DPAD_UP"), (0x20, "BTN_DPAD_RIGHT"), (0x40, "BTN_DPAD_DOWN"), (0x80, "BTN_DPAD_LEFT"))
DS3_BYTE3 = ((0x01, "BTN_TL2"), (0x02, "BTN_TR2"), (0x04, "BTN_TL"), (0x08, "BTN_TR"), (0x10, "BTN_NORTH"),
             (0x20, "BTN_EAST"), (0x40, "BTN_SOUTH"), (0x80, "BTN_WEST"))
DS3_BYTE4 = ((0x01, "BTN_MODE"),)
# Hat values 0..7 clockwise from up; 8 (or anything else) is released.
HAT = (("BTN_DPAD_UP",), ("BTN_DPAD_UP", "BTN_DPAD_RIGHT"), ("BTN_DPAD_RIGHT",),
       ("BTN_DPAD_DOWN", "BTN_DPAD_RIGHT"), ("BTN_DPAD_DOWN",), ("BTN_DPAD_DOWN", "BTN_DPAD_LEFT"),
       ("BTN_DPAD_LEFT",), ("BTN_DPAD_UP", "BTN_DPAD_LEFT"))

GIP_INPUT, GIP_GUIDE = 0x20, 0x07
X360_LENGTH, X360W_LENGTH, GIP_LENGTH, PS_LENGTH, SWITCH_LENGTH, DS3_LENGTH = 14, 18, 10, 11, 6, 5


def bits(value: int, table: tuple[tuple[int, str], ...]) -> list[str]:
    return [name for mask, name in table if value & mask]


def need(payload: bytes, length: int, what: str) -> None:
    if len(payload) < length:
        raise BadReport(f"{what} report of {len(payload)} bytes, needs {length}")


def _x360_block(block: bytes) -> Snapshot:
    held = bits(block[2], X360_BYTE2) + bits(block[3], X360_BYTE3)
    return Snapshot(frozenset(held), (("BTN_TL2", block[4]), ("BTN_TR2", block[5])))


def decode_xbox360(payload: bytes) -> Snapshot | None:
    """xpad360_process_packet: [0] type 0x00, [1] length 0x14; other types are LED/rumble acks."""
    need(payload, 2, "Xbox 360")
    if payload[0] != 0x00 or payload[1] != 0x14:
        return None
    need(payload, X360_LENGTH, "Xbox 360")
    return _x360_block(payload)


def decode_xbox360_wireless(payload: bytes) -> Snapshot | None:
    """xpad360w_process_packet: [1] == 0x01 carries the wired block at offset 4; [0] & 0x08
    is a presence change (pad connected or gone), which holds no buttons."""
    need(payload, 2, "Xbox 360 wireless")
    if payload[1] != 0x01 or payload[0] & 0x08:
        return None
    need(payload, X360W_LENGTH, "Xbox 360 wireless")
    return _x360_block(payload[4:])


def decode_gip(payload: bytes) -> Snapshot | None:
    """xpadone_process_packet. Guide comes alone in command 0x07, so a Guide snapshot holds
    only BTN_MODE and the mapper merges it (see ReportMapper)."""
    need(payload, 4, "GIP")
    command = payload[0]
    if command == GIP_GUIDE:
        need(payload, 5, "GIP guide")
        return Snapshot(frozenset({"BTN_MODE"} if payload[4] & 0x01 else set()), (("guide", 1),))
    if command != GIP_INPUT:
        return None
    need(payload, GIP_LENGTH, "GIP input")
    held = bits(payload[4], GIP_BYTE4) + bits(payload[5], GIP_BYTE5)
    left = payload[6] | payload[7] << 8
    right = payload[8] | payload[9] << 8
    return Snapshot(frozenset(held), (("BTN_TL2", left), ("BTN_TR2", right)))


def playstation(face: int, shoulders: int, system: int, left: int, right: int) -> Snapshot:
    hat = face & 0x0F
    held = list(HAT[hat]) if hat < len(HAT) else []
    held += bits(face, PS_FACE) + bits(shoulders, PS_SHOULDERS) + bits(system, PS_SYSTEM)
    return Snapshot(frozenset(held), (("BTN_TL2", left), ("BTN_TR2", right)))


def decode_dualshock4(payload: bytes) -> Snapshot | None:
    """hid-playstation dualshock4_parse_report, USB report 0x01: 5 hat+face, 6 shoulders,
    7 PS, 8/9 analog L2/R2."""
    need(payload, 1, "DualShock 4")
    if payload[0] != 0x01:
        return None
    need(payload, PS_LENGTH, "DualShock 4")
    return playstation(payload[5], payload[6], payload[7], payload[8], payload[9])


def decode_dualsense(payload: bytes) -> Snapshot | None:
    """hid-playstation dualsense_parse_report, USB report 0x01: 5/6 analog L2/R2, 8 hat+face,
    9 shoulders, 10 PS."""
    need(payload, 1, "DualSense")
    if payload[0] != 0x01:
        return None
    need(payload, PS_LENGTH, "DualSense")
    return playstation(payload[8], payload[9], payload[10], payload[5], payload[6])


def decode_switch_pro(payload: bytes) -> Snapshot | None:
    """hid-nintendo, full report 0x30 (0x21 replies carry the same button block too);
    ZL/ZR are digital, so they come as buttons, not as trigger levels."""
    need(payload, 1, "Switch Pro")
    if payload[0] not in (0x30, 0x21):
        return None
    need(payload, SWITCH_LENGTH, "Switch Pro")
    held = bits(payload[3], SWITCH_BYTE3) + bits(payload[4], SWITCH_BYTE4) + bits(payload[5], SWITCH_BYTE5)
    return Snapshot(frozenset(held))


def decode_dualshock3(payload: bytes) -> Snapshot | None:
    """hid-sony, report 0x01 (49 bytes): L2/R2 come as digital buttons (byte 3), as the
    kernel's mapping has them; their analog bytes (18, 19) add nothing a combo needs."""
    need(payload, 1, "DualShock 3")
    if payload[0] != 0x01:
        return None
    need(payload, DS3_LENGTH, "DualShock 3")
    held = bits(payload[2], DS3_BYTE2) + bits(payload[3], DS3_BYTE3) + bits(payload[4], DS3_BYTE4)
    return Snapshot(frozenset(held))


DECODERS: Mapping[Protocol, Decoder] = {
    Protocol.XBOX360: decode_xbox360,
    Protocol.XBOX360_WIRELESS: decode_xbox360_wireless,
    Protocol.GIP: decode_gip,
    Protocol.DUALSHOCK4: decode_dualshock4,
    Protocol.DUALSENSE: decode_dualsense,
    Protocol.SWITCH_PRO: decode_switch_pro,
    Protocol.DUALSHOCK3: decode_dualshock3,
}

# The bytes that hold buttons and triggers: a report equal there to the last one is only
# stick, sensor or counter motion and leaves with one compare. PlayStation pads count reports
# in byte 7 (DualSense: all of it; DualShock 4: its upper six bits), so that is masked out.
KEY_BYTES: Mapping[Protocol, Callable[[bytes], bytes]] = {
    Protocol.XBOX360: lambda p: p[:6],
    Protocol.XBOX360_WIRELESS: lambda p: p[:10],
    Protocol.GIP: lambda p: p[:1] + p[4:10],
    Protocol.DUALSHOCK4: lambda p: p[5:7] + bytes((p[7] & 0x03,)) + p[8:10] if len(p) > 9 else p,
    Protocol.DUALSENSE: lambda p: p[5:7] + p[8:11],
    Protocol.SWITCH_PRO: lambda p: p[:1] + p[3:6],
    Protocol.DUALSHOCK3: lambda p: p[:1] + p[2:5],
}

# Analog trigger full scale per protocol (GIP is 10 bit; the others 8 bit).
TRIGGER_MAX: Mapping[Protocol, int] = {Protocol.GIP: 1023}
