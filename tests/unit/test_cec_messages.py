"""CEC frames against the bytes of the CEC 1.4 specification (header = initiator << 4 |
destination, then opcode and operands) and the wording cec-ctl logs them with."""

from __future__ import annotations

import pytest

from modeswitch.parts.tv import messages as cec
from modeswitch.parts.tv.messages import Frame, Opcode, PowerStatus

PLAYBACK_1 = 4


@pytest.mark.parametrize(("frame", "wire"), [
    # <Image View On> from Playback Device 1 to the TV: "z0:04" with z = 4
    (cec.image_view_on(PLAYBACK_1), "40:04"),
    # <Active Source> broadcast for HDMI 1 and HDMI 2: "zF:82:10:00", "zF:82:20:00"
    (cec.active_source(PLAYBACK_1, 0x1000), "4f:82:10:00"),
    (cec.active_source(PLAYBACK_1, 0x2000), "4f:82:20:00"),
    # a source behind an AV receiver on its HDMI 3, the receiver on the TV's HDMI 1
    (cec.active_source(8, 0x1300), "8f:82:13:00"),
    (cec.inactive_source(PLAYBACK_1, 0x1000), "40:9d:10:00"),
    (cec.standby(PLAYBACK_1), "40:36"),
    (cec.standby(cec.UNREGISTERED), "f0:36"),  # "F0:36", the usual way to put a TV to standby
    (cec.give_power_status(PLAYBACK_1), "40:8f"),
    (cec.request_active_source(PLAYBACK_1), "4f:85"),
    (Frame(PLAYBACK_1, cec.TV), "40"),  # a poll: the header alone
])
def test_encoding(frame: Frame, wire: str) -> None:
    assert frame.encode().hex(":") == wire
    assert cec.decode(bytes.fromhex(wire.replace(":", ""))) == frame


@pytest.mark.parametrize(("wire", "status"), [
    ("04:90:00", PowerStatus.ON),  # TV to Playback 1: <Report Power Status> on
    ("04:90:01", PowerStatus.STANDBY),
    ("04:90:02", PowerStatus.TO_ON),
    ("04:90:03", PowerStatus.TO_STANDBY),
    ("04:90:07", None),  # reserved value
    ("04:00:8f:00", None),  # <Feature Abort> of <Give Device Power Status>, "unrecognized opcode"
    ("04:90", None),  # operand missing
])
def test_power_status_replies(wire: str, status: PowerStatus | None) -> None:
    assert cec.power_status(cec.decode(bytes.fromhex(wire.replace(":", "")))) == status


@pytest.mark.parametrize(("wire", "address"), [
    ("0f:82:00:00", 0x0000),  # the TV's own tuner is the active source
    ("8f:82:21:00", 0x2100),
    ("4f:85", None),
])
def test_active_source_replies(wire: str, address: int | None) -> None:
    assert cec.reported_source(cec.decode(bytes.fromhex(wire.replace(":", "")))) == address


@pytest.mark.parametrize(("wire", "logged"), [
    ("40:04", "Playback Device 1 to TV (4 to 0): IMAGE_VIEW_ON (0x04)"),
    ("4f:82:10:00", "Playback Device 1 to all (4 to 15): ACTIVE_SOURCE (0x82):\n\tphys-addr: 1.0.0.0"),
    ("04:90:01", "TV to Playback Device 1 (0 to 4): REPORT_POWER_STATUS (0x90):\n\tpwr-state: standby (0x01)"),
    ("0f:36", "TV to all (0 to 15): STANDBY (0x36)"),
    ("40:9d:10:00", "Playback Device 1 to TV (4 to 0): INACTIVE_SOURCE (0x9d):\n\tphys-addr: 1.0.0.0"),
    ("40:a5", "Playback Device 1 to TV (4 to 0): UNKNOWN (0xa5)"),
])
def test_described_as_cec_ctl_logs_them(wire: str, logged: str) -> None:
    assert cec.describe(cec.decode(bytes.fromhex(wire.replace(":", "")))) == logged


@pytest.mark.parametrize(("text", "address"), [("1.0.0.0", 0x1000), ("2.1.0.0", 0x2100), ("1.b.0.0", 0x1B00)])
def test_physical_addresses(text: str, address: int) -> None:
    assert cec.physical_address(text) == address
    assert cec.format_physical_address(address) == text


@pytest.mark.parametrize("bad", ["1.0.0", "10.0.0.0", "1.0.0.x", ""])
def test_bad_physical_addresses(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a physical address"):
        cec.physical_address(bad)


@pytest.mark.parametrize("size", [0, 17])
def test_frames_have_1_to_16_bytes(size: int) -> None:
    with pytest.raises(ValueError, match=f"not {size}"):
        cec.decode(bytes(size))


def test_every_opcode_round_trips() -> None:
    for opcode in Opcode:
        frame = Frame(PLAYBACK_1, cec.TV, opcode, b"\x10\x00")
        assert cec.decode(frame.encode()) == frame
