"""Tables for the USB pad decoders: wire bytes in (laid out as the kernel drivers read them),
button changes out; short and foreign reports rejected."""

from __future__ import annotations

import pytest

from modeswitch.usbmon.bt_reports import BtHidLayout
from modeswitch.usbmon.mapper import ReportMapper, guess_protocol, protocol_for
from modeswitch.usbmon.reports import BadReport, Protocol


def x360(b2: int = 0, b3: int = 0, lt: int = 0, rt: int = 0, lx: int = 0) -> bytes:
    """xpad360_process_packet's 20-byte report; lx moves the left stick (no button change)."""
    return bytes([0x00, 0x14, b2, b3, lt, rt]) + lx.to_bytes(2, "little", signed=True) + bytes(12)


def x360w(b2: int = 0, b3: int = 0, lt: int = 0, rt: int = 0) -> bytes:
    return bytes([0x00, 0x01, 0x00, 0xF0]) + x360(b2, b3, lt, rt)[:20] + bytes(5)


def gip(b4: int = 0, b5: int = 0, lt: int = 0, rt: int = 0, seq: int = 1) -> bytes:
    body = bytes([b4, b5]) + lt.to_bytes(2, "little") + rt.to_bytes(2, "little") + bytes(8)
    return bytes([0x20, 0x00, seq, len(body)]) + body


def gip_guide(pressed: bool, seq: int = 1) -> bytes:
    return bytes([0x07, 0x20, seq, 0x02, 0x01 if pressed else 0x00, 0x5B])


def ds4(face: int = 0x08, shoulders: int = 0, ps: int = 0, l2: int = 0, r2: int = 0, counter: int = 0) -> bytes:
    report = bytearray(64)
    report[0:5] = bytes([0x01, 0x80, 0x80, 0x80, 0x80])
    report[5], report[6], report[7], report[8], report[9] = face, shoulders, ps | counter << 2, l2, r2
    return bytes(report)


def dualsense(face: int = 0x08, shoulders: int = 0, ps: int = 0, l2: int = 0, r2: int = 0, seq: int = 0) -> bytes:
    report = bytearray(64)
    report[0:5] = bytes([0x01, 0x80, 0x80, 0x80, 0x80])
    report[5], report[6], report[7], report[8], report[9], report[10] = l2, r2, seq, face, shoulders, ps
    return bytes(report)


def switch(b3: int = 0, b4: int = 0, b5: int = 0, timer: int = 0) -> bytes:
    report = bytearray(64)
    report[0:6] = bytes([0x30, timer, 0x91, b3, b4, b5])
    return bytes(report)


def ds3(b2: int = 0, b3: int = 0, b4: int = 0, stick: int = 0x80) -> bytes:
    """hid-sony's DualShock 3 report 0x01: 49 bytes, buttons in bytes 2..4, sticks from 6."""
    report = bytearray(49)
    report[0], report[2], report[3], report[4] = 0x01, b2, b3, b4
    report[6:10] = bytes([stick, 0x80, 0x80, 0x80])
    return bytes(report)


P, R = 1, 0
CASES = [
    ("360 select+start", Protocol.XBOX360, [x360(0x20), x360(0x30)], [[("BTN_SELECT", P)], [("BTN_START", P)]]),
    ("360 face buttons by position", Protocol.XBOX360, [x360(0, 0x10 | 0x20 | 0x40 | 0x80)],
     [[("BTN_EAST", P), ("BTN_NORTH", P), ("BTN_SOUTH", P), ("BTN_WEST", P)]]),
    ("360 guide, shoulders, d-pad", Protocol.XBOX360, [x360(0x09, 0x07)],
     [[("BTN_DPAD_RIGHT", P), ("BTN_DPAD_UP", P), ("BTN_MODE", P), ("BTN_TL", P), ("BTN_TR", P)]]),
    ("360 stick motion is no change", Protocol.XBOX360, [x360(0x10), x360(0x10, lx=-30000), x360(0x10, lx=12)],
     [[("BTN_START", P)], [], []]),
    ("360 release", Protocol.XBOX360, [x360(0x10), x360(0)], [[("BTN_START", P)], [("BTN_START", R)]]),
    ("360 trigger with hysteresis", Protocol.XBOX360,
     [x360(lt=127), x360(lt=128), x360(lt=120), x360(lt=115), x360(lt=114)],
     [[], [("BTN_TL2", P)], [], [], [("BTN_TL2", R)]]),
    ("360 LED status packet", Protocol.XBOX360, [bytes([0x01, 0x03, 0x06])], [[]]),
    ("360 wireless", Protocol.XBOX360_WIRELESS, [x360w(0x20), x360w(0x20, rt=255)],
     [[("BTN_SELECT", P)], [("BTN_TR2", P)]]),
    ("360 wireless presence packet", Protocol.XBOX360_WIRELESS, [bytes([0x08, 0x80]) + bytes(27)], [[]]),
    ("GIP menu+view", Protocol.GIP, [gip(0x04), gip(0x0C, seq=2)], [[("BTN_START", P)], [("BTN_SELECT", P)]]),
    ("GIP face and d-pad", Protocol.GIP, [gip(0x10 | 0x80, 0x02 | 0x20)],
     [[("BTN_DPAD_DOWN", P), ("BTN_NORTH", P), ("BTN_SOUTH", P), ("BTN_TR", P)]]),
    ("GIP 10-bit trigger", Protocol.GIP, [gip(lt=500), gip(lt=520), gip(lt=1023, rt=1023)],
     [[], [("BTN_TL2", P)], [("BTN_TR2", P)]]),
    ("GIP guide message is separate", Protocol.GIP,
     [gip(0x04), gip_guide(True), gip(0x04, seq=3), gip_guide(False), gip(0)],
     [[("BTN_START", P)], [("BTN_MODE", P)], [], [("BTN_MODE", R)], [("BTN_START", R)]]),
    ("GIP ack is no input", Protocol.GIP, [bytes([0x01, 0x20, 0x01, 0x09]) + bytes(9)], [[]]),
    ("DS4 share+options", Protocol.DUALSHOCK4, [ds4(shoulders=0x10), ds4(shoulders=0x30, counter=1)],
     [[("BTN_SELECT", P)], [("BTN_START", P)]]),
    ("DS4 hat is a d-pad", Protocol.DUALSHOCK4, [ds4(face=0x01), ds4(face=0x02), ds4(face=0x08)],
     [[("BTN_DPAD_RIGHT", P), ("BTN_DPAD_UP", P)], [("BTN_DPAD_UP", R)], [("BTN_DPAD_RIGHT", R)]]),
    ("DS4 cross is south, PS is mode, L2 analog", Protocol.DUALSHOCK4, [ds4(face=0x28, ps=0x01, l2=200)],
     [[("BTN_MODE", P), ("BTN_SOUTH", P), ("BTN_TL2", P)]]),
    ("DualSense create+options+PS", Protocol.DUALSENSE, [dualsense(shoulders=0x30, ps=0x01)],
     [[("BTN_MODE", P), ("BTN_SELECT", P), ("BTN_START", P)]]),
    ("DualSense square, circle, triangle; R2", Protocol.DUALSENSE, [dualsense(face=0xD8, r2=255)],
     [[("BTN_EAST", P), ("BTN_NORTH", P), ("BTN_TR2", P), ("BTN_WEST", P)]]),
    ("DualShock 4 report counter alone is no change", Protocol.DUALSHOCK4,
     [ds4(counter=1), ds4(counter=2), ds4(counter=3, ps=0x01)], [[], [], [("BTN_MODE", P)]]),
    ("DualSense sequence counter alone is no change", Protocol.DUALSENSE,
     [dualsense(seq=1), dualsense(seq=2)], [[], []]),
    ("Switch Pro minus+plus", Protocol.SWITCH_PRO, [switch(b4=0x01), switch(b4=0x03, timer=9)],
     [[("BTN_SELECT", P)], [("BTN_START", P)]]),
    ("Switch Pro A is east, B south, ZL/ZR digital", Protocol.SWITCH_PRO, [switch(b3=0x08 | 0x04 | 0x80, b5=0x80)],
     [[("BTN_EAST", P), ("BTN_SOUTH", P), ("BTN_TL2", P), ("BTN_TR2", P)]]),
    ("Switch Pro home, d-pad", Protocol.SWITCH_PRO, [switch(b4=0x10, b5=0x02 | 0x08)],
     [[("BTN_DPAD_LEFT", P), ("BTN_DPAD_UP", P), ("BTN_MODE", P)]]),
    ("Switch Pro capture is KEY_RECORD", Protocol.SWITCH_PRO, [switch(b4=0x20), switch(b4=0)],
     [[("KEY_RECORD", P)], [("KEY_RECORD", R)]]),
    ("DualShock 3 select+start", Protocol.DUALSHOCK3, [ds3(0x01), ds3(0x09, stick=3)],
     [[("BTN_SELECT", P)], [("BTN_START", P)]]),
    ("DualShock 3 face buttons by position, PS, L2 digital", Protocol.DUALSHOCK3, [ds3(0, 0xF1, 0x01)],
     [[("BTN_EAST", P), ("BTN_MODE", P), ("BTN_NORTH", P), ("BTN_SOUTH", P), ("BTN_TL2", P), ("BTN_WEST", P)]]),
    ("DualShock 3 d-pad", Protocol.DUALSHOCK3, [ds3(0x30)], [[("BTN_DPAD_RIGHT", P), ("BTN_DPAD_UP", P)]]),
    ("Switch Pro subcommand reply is ignored", Protocol.SWITCH_PRO, [bytes([0x81, 0x01, 0x00, 0x03])], [[]]),
]


@pytest.mark.parametrize(("name", "protocol", "reports", "expected"), CASES, ids=[c[0] for c in CASES])
def test_reports_to_changes(name: str, protocol: Protocol, reports: list[bytes],
                            expected: list[list[tuple[str, int]]]) -> None:
    mapper = ReportMapper(protocol, threshold=0.5)
    got = [sorted(mapper.feed(report)) for report in reports]
    assert got == [sorted(e) for e in expected]


SHORT = [
    (Protocol.XBOX360, bytes([0x00, 0x14, 0x10])),
    (Protocol.XBOX360, b""),
    (Protocol.XBOX360_WIRELESS, bytes([0x00, 0x01, 0x00, 0xF0, 0x00, 0x14])),
    (Protocol.GIP, bytes([0x20, 0x00, 0x01])),
    (Protocol.GIP, bytes([0x20, 0x00, 0x01, 0x0E, 0x04])),
    (Protocol.GIP, bytes([0x07, 0x20, 0x01, 0x02])),
    (Protocol.DUALSHOCK4, bytes([0x01, 0x80, 0x80])),
    (Protocol.DUALSENSE, bytes([0x01]) + bytes(8)),
    (Protocol.SWITCH_PRO, bytes([0x30, 0x00, 0x91, 0x08])),
    (Protocol.DUALSHOCK3, bytes([0x01, 0x00, 0x01])),
]


@pytest.mark.parametrize(("protocol", "report"), SHORT)
def test_short_reports_are_rejected(protocol: Protocol, report: bytes) -> None:
    with pytest.raises(BadReport):
        ReportMapper(protocol, 0.5).feed(report)


def test_a_rejected_report_leaves_the_state_alone() -> None:
    mapper = ReportMapper(Protocol.XBOX360, 0.5)
    assert mapper.feed(x360(0x10)) == [("BTN_START", 1)]
    with pytest.raises(BadReport):
        mapper.feed(bytes([0x00, 0x14, 0x30]))
    assert mapper.feed(x360(0x30)) == [("BTN_SELECT", 1)]


def test_reset_releases_everything_held() -> None:
    mapper = ReportMapper(Protocol.DUALSENSE, 0.5)
    mapper.feed(dualsense(shoulders=0x30, l2=255))
    assert mapper.reset() == [("BTN_SELECT", 0), ("BTN_START", 0), ("BTN_TL2", 0)]
    assert mapper.feed(dualsense(shoulders=0x10)) == [("BTN_SELECT", 1)]


GUESSES = [
    ("360", [x360()], Protocol.XBOX360),
    ("360 wireless", [x360w()], Protocol.XBOX360_WIRELESS),
    ("GIP", [gip()], Protocol.GIP),
    ("Switch Pro", [switch()], Protocol.SWITCH_PRO),
    ("DualShock 3", [ds3()], Protocol.DUALSHOCK3),
    ("DualSense counts by one", [dualsense(seq=7), dualsense(seq=8)], Protocol.DUALSENSE),
    ("DualShock 4 counts by four", [ds4(counter=7), ds4(counter=8)], Protocol.DUALSHOCK4),
    ("one PlayStation report is not enough", [ds4(counter=7)], None),
    ("garbage", [b"\xff\xee"], None),
]


@pytest.mark.parametrize(("name", "reports", "expected"), GUESSES, ids=[g[0] for g in GUESSES])
def test_guess_protocol(name: str, reports: list[bytes], expected: Protocol | None) -> None:
    previous = reports[-2] if len(reports) > 1 else None
    assert guess_protocol(reports[-1], previous) == expected


def test_known_ids() -> None:
    assert protocol_for(0x045E, 0x028E) is Protocol.XBOX360
    assert protocol_for(0x054C, 0x0CE6) is Protocol.DUALSENSE
    assert protocol_for(0x057E, 0x2009) is Protocol.SWITCH_PRO
    assert protocol_for(0x054C, 0x0268) is Protocol.DUALSHOCK3
    assert protocol_for(0x1234, 0x5678) is None


def xbox_classic(size: int, a: int = 0, b: int = 0, c: int = 0, hat: int = 0) -> bytes:
    """SDL's Xbox Bluetooth report with its id: 16 bytes (firmware 3.x) or 17 (4.8)."""
    report = bytearray(size)
    report[0], report[13], report[14], report[15] = 0x01, hat, a, b
    if size == 17:
        report[16] = c
    return bytes(report)


XBOX_CLASSIC = [
    ("firmware 3.x: consecutive bits, guide alone", [xbox_classic(16, a=0x40 | 0x80), bytes([0x02, 0x01]),
                                                     xbox_classic(16, a=0x40)],
     [[("BTN_SELECT", P), ("BTN_START", P)], [("BTN_MODE", P)], [("BTN_START", R)]]),
    ("firmware 4.8: menu in byte 15, view in byte 16", [xbox_classic(17, b=0x08), xbox_classic(17, b=0x08, c=0x01)],
     [[("BTN_START", P)], [("BTN_SELECT", P)]]),
    ("hat 8 is up-left; X is west", [xbox_classic(17, a=0x08, hat=8)],
     [[("BTN_DPAD_LEFT", P), ("BTN_DPAD_UP", P), ("BTN_WEST", P)]]),
]


@pytest.mark.parametrize(("name", "reports", "expected"), XBOX_CLASSIC, ids=[c[0] for c in XBOX_CLASSIC])
def test_xbox_classic_bluetooth_reports(name: str, reports: list[bytes], expected: list[list[tuple[str, int]]]) -> None:
    mapper = ReportMapper(Protocol.BT_HID, 0.5, BtHidLayout())
    assert [sorted(mapper.feed(report)) for report in reports] == [sorted(e) for e in expected]
