"""Generic HID gamepads read by their report descriptor: positions from real descriptors,
reports in, button changes out (named as hid-input names a gamepad's buttons)."""

from __future__ import annotations

import pytest

from modeswitch.usbmon.hid import BadDescriptor, parse_descriptor
from modeswitch.usbmon.mapper import ReportMapper
from modeswitch.usbmon.reports import BadReport, Protocol

# The opening of the DualShock 4's report descriptor (054c:09cc, as its HID interface reports
# it): report 1 = 4 axes (8 bit), a 4-bit hat (0..7, null state), 14 buttons, a vendor 6-bit
# counter, then Rx/Ry (the analog triggers).
DS4 = bytes.fromhex(
    "05010905a101 8501 0930 0931 0932 0935 1500 26ff00 7508 9504 8102"
    " 0939 1500 2507 3500 463b01 6514 7504 9501 8142 6500"
    " 0509 1901 290e 1500 2501 7501 950e 8102"
    " 0600ff 0920 7506 9501 1500 257f 8102"
    " 0501 0933 0934 1500 26ff00 7508 9502 8102 c0".replace(" ", ""))
# A joystick-application pad (DragonRise 0079:0006 style): no gamepad names on the host either.
JOYSTICK = bytes.fromhex(
    "05010904a101a1027508950515002600ff09300931093209320935810275049501250709398142"
    "750195 0c250105091901290c8102c0c0".replace(" ", ""))
# A gamepad without report IDs: 8 buttons, then an 8-bit hat 1..8 (0 = released).
PLAIN = bytes.fromhex("05010905a101 0509 1901 2908 1500 2501 7501 9508 8102"
                      " 0501 0939 1501 2508 7508 9501 8142 c0".replace(" ", ""))


def ds4(hat: int = 8, buttons: int = 0) -> bytes:
    report = bytearray(10)
    report[0:5] = bytes([0x01, 0x80, 0x80, 0x80, 0x80])
    report[5] = hat | (buttons & 0x0F) << 4
    report[6] = buttons >> 4 & 0xFF
    report[7] = buttons >> 12 & 0x03
    return bytes(report)


def test_ds4_descriptor_positions() -> None:
    layout = parse_descriptor(DS4)
    assert layout.report_id == 1
    assert layout.hat == (40, 4, 0, 7)
    assert layout.buttons[0] == (44, "BTN_SOUTH") and layout.buttons[-1] == (57, "BTN_THUMBL")
    assert layout.length == 8


CASES = [
    ("hat up-right", DS4, [ds4(hat=1)], [[("BTN_DPAD_RIGHT", 1), ("BTN_DPAD_UP", 1)]]),
    ("hat released (8 is past the logical max)", DS4, [ds4(hat=2), ds4(hat=8)],
     [[("BTN_DPAD_RIGHT", 1)], [("BTN_DPAD_RIGHT", 0)]]),
    ("buttons 11 and 12 are select and start", DS4, [ds4(buttons=1 << 10), ds4(buttons=3 << 10)],
     [[("BTN_SELECT", 1)], [("BTN_START", 1)]]),
    ("button 13 is mode", DS4, [ds4(buttons=1 << 12)], [[("BTN_MODE", 1)]]),
    ("other report IDs are not input", DS4, [bytes([0x05]) + bytes(30)], [[]]),
    ("no report ID, 1-based hat", PLAIN, [bytes([0x01, 0x00]), bytes([0x01, 0x01]), bytes([0x00, 0x05])],
     [[("BTN_SOUTH", 1)], [("BTN_DPAD_UP", 1)], [("BTN_DPAD_DOWN", 1), ("BTN_DPAD_UP", 0), ("BTN_SOUTH", 0)]]),
]


@pytest.mark.parametrize(("name", "descriptor", "reports", "expected"), CASES, ids=[c[0] for c in CASES])
def test_reports_by_descriptor(name: str, descriptor: bytes, reports: list[bytes],
                               expected: list[list[tuple[str, int]]]) -> None:
    mapper = ReportMapper(Protocol.HID, 0.5, parse_descriptor(descriptor))
    assert [sorted(mapper.feed(r)) for r in reports] == [sorted(e) for e in expected]


def test_short_report_is_rejected() -> None:
    mapper = ReportMapper(Protocol.HID, 0.5, parse_descriptor(DS4))
    with pytest.raises(BadReport):
        mapper.feed(bytes([0x01, 0x80, 0x80]))


@pytest.mark.parametrize("descriptor", [JOYSTICK, DS4[:17], b"", bytes.fromhex("05010905a101c0")])
def test_descriptors_without_a_readable_gamepad(descriptor: bytes) -> None:
    with pytest.raises(BadDescriptor):
        parse_descriptor(descriptor)
