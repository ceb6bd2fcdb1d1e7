"""Input reports of pads behind a Bluetooth adapter → `Snapshot`s, by report id and size.

Classic HID (HIDP DATA|INPUT, the byte after 0xA1: report id first), from the drivers'
structures: hid-playstation `dualshock4_input_report_bt` (0x11: the USB fields 2 bytes later)
and `dualsense_input_report` behind the BT header (0x31: 1 byte later); the short report 0x01
both PlayStation pads send until the host asks for the full one (10 bytes, the DualShock 4's
common layout right after the id); hid-nintendo's 0x30 full report (as on USB); hid-sony's
DualShock 3 report 0x01 (49 bytes); and SDL's `SDL_hidapi_xboxone.c` for Xbox pads on the
older classic-HID firmware (16 or 17 bytes with the id, Guide alone in report 0x02).

BLE HOGP (Xbox Series and One S on firmware 5.x): the ATT notification's value, no report id;
SDL's offsets minus one. Ten-bit triggers are scaled to 0–255 so one threshold fits all.
"""

from __future__ import annotations

from collections.abc import Callable

from modeswitch.usbmon.reports import (
    HAT,
    BadReport,
    Protocol,
    Snapshot,
    bits,
    decode_dualshock3,
    decode_switch_pro,
    need,
    playstation,
)

XBOX_BLE_A = ((0x01, "BTN_SOUTH"), (0x02, "BTN_EAST"), (0x08, "BTN_WEST"), (0x10, "BTN_NORTH"),
              (0x40, "BTN_TL"), (0x80, "BTN_TR"))
XBOX_BLE_B = ((0x04, "BTN_SELECT"), (0x08, "BTN_START"), (0x10, "BTN_MODE"), (0x20, "BTN_THUMBL"),
              (0x40, "BTN_THUMBR"))
XBOX_SHARE = ((0x01, "KEY_RECORD"),)  # xpad reports the Series pad's Share as KEY_RECORD
XBOX_BT17_C = ((0x01, "BTN_SELECT"),)  # firmware 4.8: View in the last byte
XBOX_BT16_A = ((0x01, "BTN_SOUTH"), (0x02, "BTN_EAST"), (0x04, "BTN_WEST"), (0x08, "BTN_NORTH"),
               (0x10, "BTN_TL"), (0x20, "BTN_TR"), (0x40, "BTN_SELECT"), (0x80, "BTN_START"))
XBOX_BT16_B = ((0x01, "BTN_THUMBL"), (0x02, "BTN_THUMBR"))
XBOX_BLE_LENGTH = 15  # through byte 14; Share (byte 15) only on Series pads


def _xbox(hat: int, held: list[str], left: int, right: int) -> Snapshot:
    """Xbox hat: 1 = up, clockwise to 8 = up-left, 0 = centred."""
    if 1 <= hat <= len(HAT):
        held += HAT[hat - 1]
    return Snapshot(frozenset(held), (("BTN_TL2", left >> 2), ("BTN_TR2", right >> 2)))


def _u16(data: bytes, at: int) -> int:
    return data[at] | data[at + 1] << 8


def decode_xbox_ble(value: bytes) -> Snapshot | None:
    """The HOGP input report: 0–7 sticks, 8/9 LT, 10/11 RT, 12 hat, 13/14 buttons, 15 Share."""
    need(value, XBOX_BLE_LENGTH, "Xbox Bluetooth LE")
    held = bits(value[13], XBOX_BLE_A) + bits(value[14], XBOX_BLE_B)
    if len(value) > 15:
        held += bits(value[15], XBOX_SHARE)
    return _xbox(value[12], held, _u16(value, 8), _u16(value, 10))


def decode_xbox_bt(report: bytes) -> Snapshot | None:
    """Classic-HID Xbox firmware: report 0x01 of 17 bytes (4.8) or 16 (3.x), Guide in 0x02."""
    need(report, 2, "Xbox Bluetooth")
    if report[0] == 0x02:
        return Snapshot(frozenset({"BTN_MODE"} if report[1] & 0x01 else set()), (("guide", 1),))
    if report[0] != 0x01:
        return None
    need(report, 16, "Xbox Bluetooth")
    if len(report) == 16:
        held = bits(report[14], XBOX_BT16_A) + bits(report[15], XBOX_BT16_B)
    else:
        held = bits(report[14], XBOX_BLE_A) + bits(report[15], XBOX_BLE_B) + bits(report[16], XBOX_BT17_C)
    return _xbox(report[13], held, _u16(report, 9), _u16(report, 11))


def decode_dualshock4_bt(report: bytes) -> Snapshot | None:
    need(report, 12, "DualShock 4 Bluetooth")
    return playstation(report[7], report[8], report[9], report[10], report[11])


def decode_dualsense_bt(report: bytes) -> Snapshot | None:
    need(report, 12, "DualSense Bluetooth")
    return playstation(report[9], report[10], report[11], report[6], report[7])


def decode_ps_minimal(report: bytes) -> Snapshot | None:
    need(report, 10, "PlayStation short")
    return playstation(report[5], report[6], report[7], report[8], report[9])


# (name shown in status, decoder, the bytes that hold buttons and triggers)
Kind = tuple[str, Callable[[bytes], Snapshot | None], Callable[[bytes], bytes]]
DS4_BT: Kind = ("dualshock4", decode_dualshock4_bt, lambda r: r[7:9] + bytes((r[9] & 0x03,)) + r[10:12])
DUALSENSE_BT: Kind = ("dualsense", decode_dualsense_bt, lambda r: r[6:8] + r[9:12])
PS_SHORT: Kind = ("dualshock4/dualsense (short report)", decode_ps_minimal,
                  lambda r: r[5:7] + bytes((r[7] & 0x03,)) + r[8:10])
SWITCH_BT: Kind = ("switch-pro", decode_switch_pro, lambda r: r[:1] + r[3:6])
DS3_BT: Kind = ("dualshock3", decode_dualshock3, lambda r: r[:1] + r[2:5])
XBOX_BT: Kind = ("xbox (classic Bluetooth)", decode_xbox_bt, lambda r: r[1:2] + r[9:17])


def bt_kind(report: bytes) -> Kind | None:
    """Which layout a classic-HID input report has, from its id and size; None for reports
    that are not a pad's input (feature replies, battery reports of other layouts)."""
    if not report:
        return None
    rid, size = report[0], len(report)
    if rid == 0x11:  # a short one is a cut-short report: its decoder says so
        return DS4_BT
    if rid == 0x31:
        return DUALSENSE_BT
    if rid in (0x30, 0x21):
        return SWITCH_BT
    if rid == 0x01 and size == 10:
        return PS_SHORT
    if rid == 0x01 and size == 49:
        return DS3_BT
    if rid == 0x01 and size in (16, 17) or rid == 0x02 and size == 2:
        return XBOX_BT
    return None


class BtHidLayout:
    """One classic-HID pad's reports: the report id picks the layout per report (a pad
    switches from the short 0x01 to its full report once the guest asks for it)."""

    def __init__(self) -> None:
        self.kind: str | None = None

    def decode(self, report: bytes) -> Snapshot | None:
        kind = bt_kind(report)
        if kind is None:
            return None
        self.kind = kind[0]
        return kind[1](report)

    def key(self, report: bytes) -> bytes:
        kind = bt_kind(report)
        if kind is None:
            return b""
        try:
            return report[:1] + kind[2](report)
        except IndexError:
            raise BadReport(f"{kind[0]} report of {len(report)} bytes") from None


class XboxBleLayout:
    kind = Protocol.XBOX_BLE.value

    def decode(self, value: bytes) -> Snapshot | None:
        return decode_xbox_ble(value)

    def key(self, value: bytes) -> bytes:
        return value[8:16]


def looks_like_xbox_ble(value: bytes) -> bool:
    """Told by shape when GATT discovery did not cross the bus: 15 or 16 bytes, a hat of 0–8
    and the bits the layout leaves unused clear (battery and other notifications differ)."""
    return len(value) in (15, 16) and value[12] <= 8 and not value[13] & 0x24 and not value[14] & 0x83

