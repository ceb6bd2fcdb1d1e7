"""HDMI-CEC frames as bytes, both ways. Pure: no device, no kernel.

A frame is a header byte (initiator << 4 | destination), an opcode and its operands (CEC
1.4, chapter 13). modeswitch speaks as a Playback Device and only needs the few messages a
source uses to wake the TV and take its input, plus the ones that answer its questions.
`describe` renders a frame the way `cec-ctl` logs it, so a trace can be compared line by line.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

BROADCAST = 0xF
TV = 0x0
UNREGISTERED = 0xF
INVALID_PHYSICAL_ADDRESS = 0xFFFF


class Opcode(IntEnum):
    FEATURE_ABORT = 0x00
    IMAGE_VIEW_ON = 0x04
    TEXT_VIEW_ON = 0x0D
    STANDBY = 0x36
    ROUTING_CHANGE = 0x80
    ROUTING_INFORMATION = 0x81
    ACTIVE_SOURCE = 0x82
    REPORT_PHYSICAL_ADDRESS = 0x84
    REQUEST_ACTIVE_SOURCE = 0x85
    SET_STREAM_PATH = 0x86
    GIVE_DEVICE_POWER_STATUS = 0x8F
    REPORT_POWER_STATUS = 0x90
    INACTIVE_SOURCE = 0x9D


class PowerStatus(IntEnum):
    """<Report Power Status> operand; the names are cec-ctl's."""

    ON = 0x00
    STANDBY = 0x01
    TO_ON = 0x02  # "in transition standby to on"
    TO_STANDBY = 0x03  # "in transition on to standby"


_DEVICE_NAMES = {0: "TV", 1: "Recording Device 1", 2: "Recording Device 2", 3: "Tuner 1", 4: "Playback Device 1",
                 5: "Audio System", 6: "Tuner 2", 7: "Tuner 3", 8: "Playback Device 2", 9: "Recording Device 3",
                 10: "Tuner 4", 11: "Playback Device 3", 12: "Reserved 1", 13: "Reserved 2", 14: "Specific",
                 15: "Unregistered"}
_POWER_NAMES = {0: "on", 1: "standby", 2: "in transition standby to on", 3: "in transition on to standby"}


@dataclass(frozen=True)
class Frame:
    initiator: int
    destination: int
    opcode: Opcode | int | None = None  # None: a poll (header byte only)
    operands: bytes = b""

    def encode(self) -> bytes:
        head = bytes([(self.initiator & 0xF) << 4 | (self.destination & 0xF)])
        return head if self.opcode is None else head + bytes([int(self.opcode)]) + self.operands


def decode(data: bytes) -> Frame:
    """Bytes as the kernel hands them over (cec_msg.msg[:len]) → Frame."""
    if not 1 <= len(data) <= 16:
        raise ValueError(f"a CEC frame has 1 to 16 bytes, not {len(data)}")
    initiator, destination = data[0] >> 4, data[0] & 0xF
    if len(data) == 1:
        return Frame(initiator, destination)
    opcode: Opcode | int = Opcode(data[1]) if data[1] in Opcode._value2member_map_ else data[1]
    return Frame(initiator, destination, opcode, bytes(data[2:]))


def physical_address(text: str) -> int:
    """`1.0.0.0` (the HDMI port path from the TV) → 0x1000."""
    parts = text.split(".")
    if len(parts) != 4 or not all(len(p) == 1 and p in "0123456789abcdefABCDEF" for p in parts):
        raise ValueError(f"'{text}' is not a physical address like 1.0.0.0")
    return int("".join(parts), 16)


def format_physical_address(address: int) -> str:
    return ".".join(f"{(address >> shift) & 0xF:x}" for shift in (12, 8, 4, 0))


def _address_operand(address: int) -> bytes:
    return address.to_bytes(2, "big")


def image_view_on(initiator: int) -> Frame:
    """Wakes the TV (and shows its picture) without changing its input."""
    return Frame(initiator, TV, Opcode.IMAGE_VIEW_ON)


def active_source(initiator: int, address: int) -> Frame:
    """Broadcast: "the picture is at this HDMI port": the TV switches its input there."""
    return Frame(initiator, BROADCAST, Opcode.ACTIVE_SOURCE, _address_operand(address))


def inactive_source(initiator: int, address: int) -> Frame:
    """To the TV: this source stops being shown; the TV may go back to another one."""
    return Frame(initiator, TV, Opcode.INACTIVE_SOURCE, _address_operand(address))


def standby(initiator: int, destination: int = TV) -> Frame:
    return Frame(initiator, destination, Opcode.STANDBY)


def give_power_status(initiator: int) -> Frame:
    return Frame(initiator, TV, Opcode.GIVE_DEVICE_POWER_STATUS)


def request_active_source(initiator: int) -> Frame:
    return Frame(initiator, BROADCAST, Opcode.REQUEST_ACTIVE_SOURCE)


def power_status(frame: Frame) -> PowerStatus | None:
    """The TV's power from a <Report Power Status> reply; None for anything else."""
    if frame.opcode != Opcode.REPORT_POWER_STATUS or len(frame.operands) != 1:
        return None
    value = frame.operands[0]
    return PowerStatus(value) if value in PowerStatus._value2member_map_ else None


def reported_source(frame: Frame) -> int | None:
    """The physical address an <Active Source> announces; None for anything else."""
    if frame.opcode != Opcode.ACTIVE_SOURCE or len(frame.operands) != 2:
        return None
    return int.from_bytes(frame.operands, "big")


def routing_change(frame: Frame) -> tuple[int, int] | None:
    """(from, to) of a <Routing Change>: the TV (or a switch) moved its input; None otherwise."""
    if frame.opcode != Opcode.ROUTING_CHANGE or len(frame.operands) != 4:
        return None
    return int.from_bytes(frame.operands[:2], "big"), int.from_bytes(frame.operands[2:], "big")


def stream_path(frame: Frame) -> int | None:
    """The address a <Set Stream Path> asks to be shown (the TV's input menu); None otherwise."""
    if frame.opcode != Opcode.SET_STREAM_PATH or len(frame.operands) != 2:
        return None
    return int.from_bytes(frame.operands, "big")


def describe(frame: Frame) -> str:
    """cec-ctl's wording: `Playback Device 1 to TV (4 to 0): IMAGE_VIEW_ON (0x04)`."""
    source = _DEVICE_NAMES[frame.initiator]
    target = "all" if frame.destination == BROADCAST else _DEVICE_NAMES[frame.destination]
    head = f"{source} to {target} ({frame.initiator} to {frame.destination})"
    if frame.opcode is None:
        return f"{head}: POLL"
    name = frame.opcode.name if isinstance(frame.opcode, Opcode) else "UNKNOWN"
    text = f"{head}: {name} (0x{int(frame.opcode):02x})"
    if frame.opcode in (Opcode.ACTIVE_SOURCE, Opcode.INACTIVE_SOURCE, Opcode.SET_STREAM_PATH) \
            and len(frame.operands) == 2:
        text += f":\n\tphys-addr: {format_physical_address(int.from_bytes(frame.operands, 'big'))}"
    elif frame.opcode == Opcode.ROUTING_CHANGE and len(frame.operands) == 4:
        old, new = (format_physical_address(int.from_bytes(frame.operands[i:i + 2], "big")) for i in (0, 2))
        text += f":\n\torig-phys-addr: {old}\n\tnew-phys-addr: {new}"
    elif frame.opcode == Opcode.REPORT_POWER_STATUS and frame.operands:
        value = frame.operands[0]
        text += f":\n\tpwr-state: {_POWER_NAMES.get(value, 'unknown')} (0x{value:02x})"
    return text
