"""usbmon's binary records (drivers/usb/mon/mon_bin.c) and the byte streams that carry them.

One record is the 64-byte `mon_bin_hdr` (little endian on x86-64) followed by `len_cap`
bytes of data. The same layout is what a pcap with link type 220 (LINUX_USB_MMAPPED) holds
and what `MON_IOCX_GETX` hands out, so one parser serves the live node, captures and pipes.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from enum import StrEnum
from typing import NamedTuple

HEADER = struct.Struct("<QBBBBHbbqiiII8siiII")
HEADER_SIZE = HEADER.size  # 64
# The fields a record keeps, the rest skipped as padding: one unpack per record, no tuple
# of 18 to take apart.
FIELDS = struct.Struct("<QBBBBH2xqiiII8s16x")
LEN_CAP = struct.Struct("<I")  # at offset 36
STATUS_AND_LEN_CAP = struct.Struct("<i4xI")  # at offset 28: status, (len_urb), len_cap
EVENT_BYTES = frozenset(b"SCE@")
EVENT_NAMES = {byte: chr(byte) for byte in EVENT_BYTES}
COMPLETE, SUBMIT = ord("C"), ord("S")

# Largest data we accept in one record: usbmon caps a capture at the ring's chunk size, and
# a pad's report is at most 64 bytes; anything huge is a desynchronised stream.
MAX_CAPTURE = 1 << 20
EINPROGRESS = 115


class Event(StrEnum):
    SUBMIT = "S"
    COMPLETE = "C"
    ERROR = "E"
    FILLER = "@"


class Transfer(StrEnum):
    ISO = "iso"
    INTERRUPT = "interrupt"
    CONTROL = "control"
    BULK = "bulk"


TRANSFERS = (Transfer.ISO, Transfer.INTERRUPT, Transfer.CONTROL, Transfer.BULK)
DIR_IN = 0x80


class BadRecord(ValueError):
    """Bytes that cannot be a mon_bin record (wrong size, unknown event type)."""


class MonRecord(NamedTuple):
    """One usbmon event. A tuple, not a frozen dataclass: a reader builds thousands a second
    (4 pads at 1000 Hz), and a tuple is built five times faster."""

    id: int
    event: str  # one of Event's values
    transfer: int  # 0 iso, 1 interrupt, 2 control, 3 bulk
    endpoint: int  # 0x80 bit = IN
    devnum: int
    busnum: int
    status: int
    length: int  # len_urb
    ts: float  # seconds
    setup: bytes
    data: bytes

    @property
    def is_in_completion(self) -> bool:
        return self.event == "C" and bool(self.endpoint & DIR_IN) and self.status == 0


def parse_header(header: bytes) -> tuple[MonRecord, int]:
    """64 header bytes → (record without data, len_cap)."""
    if len(header) != HEADER_SIZE:
        raise BadRecord(f"a usbmon header is {HEADER_SIZE} bytes, got {len(header)}")
    return _parse(header, 0, b"")


def _parse(buffer: bytes | bytearray | memoryview, offset: int, data: bytes) -> tuple[MonRecord, int]:
    (urb_id, kind, transfer, endpoint, devnum, busnum, sec, usec, status, length, captured,
     setup) = FIELDS.unpack_from(buffer, offset)
    if kind not in EVENT_BYTES:
        raise BadRecord(f"unknown usbmon event type {kind:#04x}")
    if transfer > 3 or captured > MAX_CAPTURE:
        raise BadRecord(f"implausible usbmon header (xfer_type {transfer}, len_cap {captured})")
    record = MonRecord(urb_id, EVENT_NAMES[kind], transfer, endpoint, devnum, busnum, status, length,
                       sec + usec / 1e6, setup, data)
    return record, captured


def pack_record(
    *, busnum: int, devnum: int, data: bytes = b"", event: str = "C", endpoint: int = 0x81,
    transfer: int = 1, ts: float = 0.0, status: int | None = None, urb_id: int = 0, setup: bytes = b"\0" * 8,
    length: int | None = None,
) -> bytes:
    """A record laid out as mon_bin.c writes it: what `tcpdump -i usbmonN` stores too. A
    submit's status is -EINPROGRESS there, a completion's 0 unless given."""
    if status is None:
        status = -EINPROGRESS if event == "S" else 0
    sec = int(ts)
    usec = int(round((ts - sec) * 1e6))
    flag_setup = 0 if event == "S" and transfer == 2 else ord("-")
    flag_data = 0 if data else ord("<") if endpoint & DIR_IN else ord(">")
    header = HEADER.pack(urb_id, ord(event), transfer, endpoint, devnum, busnum, flag_setup, flag_data,
                         sec, usec, status, len(data) if length is None else length, len(data),
                         setup, 1 if transfer == 1 else 0, 0, 0, 0)
    return header + data


class QuietReports:
    """Per device of one bus: where its reports hold buttons and triggers (a function of the
    report), and those bytes of its last report. A report equal there to the last one has
    nothing for the chord detector (only sticks, sensors or a counter moved), so the framing
    drops it on those bytes, before a record is built for it: with pads polled at 1000 Hz,
    that is nearly every report. `forget` makes the next report pass whatever it holds (the
    pad's mapper started over and must see it)."""

    def __init__(self) -> None:
        self._keys: dict[int, Callable[[bytes], bytes]] = {}
        self._last: dict[int, bytes] = {}

    def watch(self, devnum: int, key: Callable[[bytes], bytes]) -> None:
        self._keys[devnum] = key
        self._last.pop(devnum, None)

    def unwatch(self, devnum: int) -> None:
        self._keys.pop(devnum, None)
        self._last.pop(devnum, None)

    def forget(self, devnum: int) -> None:
        self._last.pop(devnum, None)

    def unchanged(self, devnum: int, payload: bytes) -> bool:
        key_of = self._keys.get(devnum)
        if key_of is None:
            return False
        try:
            key = key_of(payload)
        except (IndexError, ValueError):
            return False  # a report too short for its layout: the mapper says what is wrong
        if self._last.get(devnum) == key:
            return True
        self._last[devnum] = key
        return False


class RecordStream:
    """Frames a byte stream (pipe, socket, file) into records; bytes may come in any pieces.

    With `completions_only`, error and filler events and the SUBMITs of IN transfers (half
    of a pad's traffic) are skipped on two header bytes, before anything is built for them.
    OUT submits that carry data stay: a Bluetooth adapter's outgoing ACL data holds the
    host's half of the L2CAP handshake that says which channel is a pad's."""

    def __init__(self, completions_only: bool = False) -> None:
        self._buffer = bytearray()
        self._completions_only = completions_only

    def feed(self, chunk: bytes, quiet: QuietReports | None = None) -> list[MonRecord]:
        """The records complete so far; an IN completion `quiet` finds unchanged is dropped."""
        buffer = self._buffer
        if buffer:
            buffer += chunk
            data: bytes | bytearray = buffer
        else:
            data = chunk  # the common case, a read that ends on a record: nothing copied
        size, start = len(data), 0
        out: list[MonRecord] = []
        keep_all = not self._completions_only
        fields, parse = STATUS_AND_LEN_CAP.unpack_from, _parse
        while size - start >= HEADER_SIZE:
            status, captured = fields(data, start + 28)
            kind = data[start + 8]
            if captured > MAX_CAPTURE or kind not in EVENT_BYTES:
                parse(data, start, b"")  # raises BadRecord saying what is wrong
            end = start + HEADER_SIZE + captured
            if end > size:
                break
            if data[start + 10] & DIR_IN:  # IN: the completion has the data; OUT: the submit has
                keep = keep_all or kind == COMPLETE
            else:
                keep = keep_all or kind == SUBMIT and captured > 0
            if keep:
                payload = bytes(data[start + HEADER_SIZE:end])
                if (quiet is None or kind != COMPLETE or status or not captured
                        or not quiet.unchanged(data[start + 11], payload)):
                    out.append(parse(data, start, payload)[0])
            start = end
        if data is buffer:
            del buffer[:start]
        else:
            buffer += chunk[start:]
        return out

    @property
    def pending(self) -> int:
        """Bytes of a record not yet complete (a stream that ends here was cut short)."""
        return len(self._buffer)
