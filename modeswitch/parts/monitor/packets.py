"""DDC/CI packets and EDID blocks as bytes, both ways. Pure: no bus, no kernel.

A host talks to a monitor at I2C address 0x37: it writes `51 <0x80|n> <n bytes> <checksum>`
and reads back `6e <0x80|n> <n bytes> <checksum>` (VESA DDC/CI 1.1). The checksum is the XOR of
every byte including the destination address (0x6e on write, the virtual host address 0x50 on
read). Input select is MCCS VCP feature 0x60. The EDID (I2C address 0x50) names the monitor:
manufacturer, product code, serial, and the name and serial-string descriptors.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import reduce

DDC_ADDRESS = 0x37
EDID_ADDRESS = 0x50
HOST = 0x51
DISPLAY_WRITE = 0x6E  # 0x37 << 1
HOST_READ = 0x50
INPUT_SELECT = 0x60


class Input(IntEnum):
    """MCCS 2.2 values of VCP 0x60; vendors add their own (a raw code reaches those)."""

    VGA1 = 0x01
    VGA2 = 0x02
    DVI1 = 0x03
    DVI2 = 0x04
    COMPOSITE1 = 0x05
    COMPOSITE2 = 0x06
    SVIDEO1 = 0x07
    SVIDEO2 = 0x08
    TUNER1 = 0x09
    TUNER2 = 0x0A
    TUNER3 = 0x0B
    COMPONENT1 = 0x0C
    COMPONENT2 = 0x0D
    COMPONENT3 = 0x0E
    DP1 = 0x0F
    DP2 = 0x10
    HDMI1 = 0x11
    HDMI2 = 0x12


def input_name(code: int) -> str:
    return Input(code).name.lower() if code in Input._value2member_map_ else f"0x{code:02x}"


def _xor(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def _request(payload: bytes) -> bytes:
    body = bytes([HOST, 0x80 | len(payload)]) + payload
    return body + bytes([_xor(bytes([DISPLAY_WRITE]) + body)])


def get_vcp(feature: int) -> bytes:
    """Get VCP Feature: `51 82 01 <vcp> <checksum>`."""
    return _request(bytes([0x01, feature]))


def set_vcp(feature: int, value: int) -> bytes:
    """Set VCP Feature: `51 84 03 <vcp> <value hi> <value lo> <checksum>`."""
    return _request(bytes([0x03, feature]) + value.to_bytes(2, "big"))


class DdcError(ValueError):
    """A reply that is not a usable answer (checksum, null message, unsupported feature)."""


@dataclass(frozen=True)
class VcpValue:
    feature: int
    current: int
    maximum: int


def parse_vcp_reply(data: bytes, feature: int) -> VcpValue:
    """`6e 88 02 <result> <vcp> <type> <max hi> <max lo> <cur hi> <cur lo> <checksum>`."""
    if len(data) < 3 or data[0] != DISPLAY_WRITE:
        raise DdcError(f"not a DDC/CI reply: {data[:3].hex(' ') or 'nothing'}")
    length = data[1] & 0x7F
    if len(data) < 3 + length:
        raise DdcError(f"reply cut short: {data.hex(' ')}")
    if _xor(bytes([HOST_READ]) + data[: 2 + length]) != data[2 + length]:
        raise DdcError(f"bad checksum in {data[: 3 + length].hex(' ')}")
    if length == 0:
        raise DdcError("the monitor sent a null message (busy, or no DDC/CI)")
    body = data[2: 2 + length]
    if length != 8 or body[0] != 0x02 or body[2] != feature:
        raise DdcError(f"unexpected reply {body.hex(' ')}")
    if body[1] != 0x00:
        raise DdcError(f"the monitor does not support VCP 0x{feature:02x}")
    return VcpValue(feature, int.from_bytes(body[6:8], "big"), int.from_bytes(body[4:6], "big"))


@dataclass(frozen=True)
class Edid:
    manufacturer: str  # three letters, e.g. DEL
    product: int
    serial_number: int
    name: str | None = None  # descriptor 0xFC, e.g. "DELL U2415"
    serial: str | None = None  # descriptor 0xFF, e.g. "7MT0167B2YNL"


def parse_edid(block: bytes) -> Edid:
    """The identity fields of an EDID base block (128 bytes, VESA E-EDID 1.4 §3.4, §3.10)."""
    if len(block) < 128 or block[:8] != bytes.fromhex("00ffffffffffff00"):
        raise DdcError("not an EDID block")
    if sum(block[:128]) % 256 != 0:
        raise DdcError("EDID checksum mismatch")
    packed = int.from_bytes(block[8:10], "big")
    manufacturer = "".join(chr(ord("A") - 1 + ((packed >> shift) & 0x1F)) for shift in (10, 5, 0))
    texts = {}
    for offset in (54, 72, 90, 108):
        descriptor = block[offset: offset + 18]
        if descriptor[:3] == b"\x00\x00\x00" and descriptor[3] in (0xFC, 0xFF):
            texts[descriptor[3]] = descriptor[5:].split(b"\x0a")[0].decode("cp437").strip()
    return Edid(manufacturer, int.from_bytes(block[10:12], "little"), int.from_bytes(block[12:16], "little"),
                texts.get(0xFC), texts.get(0xFF))
