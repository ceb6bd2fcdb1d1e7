"""HCI over USB as usbmon shows it: events, ACL data, L2CAP (kernel `hci.h`, `l2cap.h`,
`btusb.c`). Framing only; which pad speaks on which channel is bt_pads.py.

btusb finds the endpoints by transfer type: interrupt IN carries HCI events, bulk IN incoming
ACL data, bulk OUT outgoing ACL data. There is no H4 type byte on USB. Both events and ACL
packets may be split across transfers or share one, so each is reassembled as a byte stream
(as btusb does); a transfer usbmon captured only in part loses the stream's place, which is
found again at the next transfer boundary. L2CAP PDUs are reassembled per connection handle
from the ACL packet-boundary flag (0b10/0b00 start, 0b01 continuation).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

ACL_HEADER = struct.Struct("<HH")
MAX_ACL = 4096  # far above any controller's ACL MTU: more means the stream lost its place
PB_CONTINUATION = 0x1
CID_SIGNALLING, CID_ATT, CID_LE_SIGNALLING = 0x0001, 0x0004, 0x0005
CONN_REQ, CONN_RSP, DISCONN_REQ, DISCONN_RSP = 0x02, 0x03, 0x06, 0x07
EVT_CONN_COMPLETE, EVT_DISCONN_COMPLETE, EVT_LE_META = 0x03, 0x05, 0x3E
LE_CONN_COMPLETE, LE_ENH_CONN_COMPLETE = 0x01, 0x0A
ATT_NOTIFY, ATT_INDICATE, ATT_READ_BY_TYPE_RSP = 0x1B, 0x1D, 0x09
UUID_REPORT, PROP_NOTIFY = 0x2A4D, 0x10


class BadPacket(ValueError):
    """A packet that cannot be framed; `handle` when it belongs to a known link."""

    def __init__(self, message: str, handle: int | None = None) -> None:
        super().__init__(message)
        self.handle = handle


class PacketStream:
    """Transfers → whole packets of one kind (HCI events or ACL data), in order."""

    def __init__(self, acl: bool) -> None:
        self._acl = acl
        self._buffer = bytearray()

    def feed(self, data: bytes, complete: bool = True) -> Iterator[bytes]:
        """`complete` False: usbmon kept only part of this transfer; what it held is dropped
        and the next transfer starts afresh."""
        if not complete:
            lost = bool(self._buffer) or bool(data)
            self._buffer.clear()
            if lost:
                raise BadPacket(f"a transfer was captured only in part ({len(data)} bytes kept)")
            return
        buffer = self._buffer
        buffer += data
        while True:
            size = self._size(buffer)
            if size is None or size > len(buffer):
                return
            packet = bytes(buffer[:size])
            del buffer[:size]
            yield packet

    def _size(self, buffer: bytearray) -> int | None:
        if self._acl:
            if len(buffer) < 4:
                return None
            length = ACL_HEADER.unpack_from(buffer)[1]
            if length > MAX_ACL:
                buffer.clear()
                raise BadPacket(f"ACL packet announces {length} bytes: the stream lost its place")
            return 4 + length
        return 2 + buffer[1] if len(buffer) >= 2 else None

    @property
    def pending(self) -> int:
        return len(self._buffer)


def acl_header(packet: bytes) -> tuple[int, int, bytes]:
    """(connection handle, packet-boundary flag, data)."""
    word = ACL_HEADER.unpack_from(packet)[0]
    return word & 0x0FFF, word >> 12 & 0x3, packet[4:]


@dataclass
class L2capAssembler:
    """ACL fragments of one link and direction → whole L2CAP PDUs (CID, payload)."""

    handle: int
    _buffer: bytearray = field(default_factory=bytearray)

    def feed(self, flag: int, data: bytes) -> tuple[tuple[int, bytes] | None, str | None]:
        """(a whole PDU or None, what went wrong or None): a start that finds an unfinished
        PDU drops it and still begins its own."""
        problem = None
        if flag != PB_CONTINUATION:
            if self._buffer:
                problem = f"an L2CAP PDU on handle {self.handle:#06x} never completed"
            self._buffer = bytearray(data)
        elif not self._buffer:
            return None, f"an L2CAP continuation on handle {self.handle:#06x} without its start"
        else:
            self._buffer += data
        try:
            return self._done(), problem
        except BadPacket as exc:
            return None, str(exc)

    def _done(self) -> tuple[int, bytes] | None:
        buffer = self._buffer
        if len(buffer) < 4:
            return None
        length, cid = struct.unpack_from("<HH", buffer)
        if len(buffer) < 4 + length:
            return None
        self._buffer = bytearray()
        if len(buffer) > 4 + length:
            raise BadPacket(f"an L2CAP PDU on handle {self.handle:#06x} is longer than announced", self.handle)
        return cid, bytes(buffer[4:])


def signalling(payload: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(code, identifier, data) per command of a BR/EDR signalling PDU."""
    offset = 0
    while len(payload) - offset >= 4:
        code, ident, length = struct.unpack_from("<BBH", payload, offset)
        yield code, ident, payload[offset + 4:offset + 4 + length]
        offset += 4 + length


def address(raw: bytes) -> str:
    """BD_ADDR as HCI carries it (little endian) → the usual aa:bb:cc:dd:ee:ff."""
    return raw[::-1].hex(":")


def connection(event: bytes) -> tuple[str, int, str | None] | None:
    """An HCI event that opens or closes a link: ("open", handle, address) / ("close", handle,
    None); None for every other event."""
    code, params = event[0], event[2:]
    if code == EVT_CONN_COMPLETE and len(params) >= 10 and params[0] == 0 and params[9] == 0x01:
        return "open", struct.unpack_from("<H", params, 1)[0] & 0x0FFF, address(params[3:9])
    if code == EVT_DISCONN_COMPLETE and len(params) >= 3 and params[0] == 0:
        return "close", struct.unpack_from("<H", params, 1)[0] & 0x0FFF, None
    if (code == EVT_LE_META and len(params) >= 12 and params[0] in (LE_CONN_COMPLETE, LE_ENH_CONN_COMPLETE)
            and params[1] == 0):
        return "open", struct.unpack_from("<H", params, 2)[0] & 0x0FFF, address(params[6:12])
    return None


def report_handles(payload: bytes) -> set[int]:
    """From an ATT Read By Type Response of characteristic declarations: the value handles of
    HID Report characteristics (0x2A4D) that notify, i.e. input reports (GATT discovery)."""
    if len(payload) < 2 or payload[0] != ATT_READ_BY_TYPE_RSP or payload[1] < 7:
        return set()
    size, found = payload[1], set()
    for at in range(2, len(payload) - size + 1, size):
        properties, value_handle, uuid = struct.unpack_from("<BHH", payload, at + 2)
        if size == 7 and uuid == UUID_REPORT and properties & PROP_NOTIFY:
            found.add(value_handle)
    return found
