"""A stand-in DDC/CI monitor on an I2C bus, for the demo and the tests.

No monitor is attached where the demo and the tests run, so this takes the place of the
kernel's /dev/i2c-N (modeswitch.parts.monitor.device.I2cTransport): it receives the bytes a host
writes to address 0x37 or 0x50 and answers with the bytes a monitor sends (VESA DDC/CI 1.1,
E-EDID 1.4). `answers` False is the issue-82 monitor that stopped answering once it shows
another input. Never used by the daemon.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce

from modeswitch.errors import BackendError


def edid_block(manufacturer: str, product: int, serial_number: int, name: str, serial: str) -> bytes:
    """A 128-byte E-EDID 1.4 base block with a name (0xFC) and a serial (0xFF) descriptor."""
    block = bytearray(128)
    block[0:8] = bytes.fromhex("00ffffffffffff00")
    packed = sum((ord(c) - ord("A") + 1) << shift for c, shift in zip(manufacturer, (10, 5, 0), strict=True))
    block[8:10] = packed.to_bytes(2, "big")
    block[10:12] = product.to_bytes(2, "little")
    block[12:16] = serial_number.to_bytes(4, "little")
    block[18:20] = bytes([1, 4])  # EDID 1.4
    for offset, tag, text in ((72, 0xFF, serial), (90, 0xFC, name)):
        body = (text.encode() + b"\x0a").ljust(13, b"\x20")
        block[offset: offset + 18] = bytes([0, 0, 0, tag, 0]) + body
    block[127] = (-sum(block[:127])) % 256
    return bytes(block)


def _xor(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


@dataclass
class StandInMonitor:
    edid: bytes
    input: int = 0x0F
    path: str = "/dev/i2c-4"
    answers: bool = True
    garbled: int = 0  # how many next replies come with a broken checksum
    written: list[str] = field(default_factory=list)
    _reply: bytes = b""
    opened: int = 0

    def open(self, path: str) -> StandInMonitor:
        self.opened += 1
        return self

    def close(self) -> None:
        self.opened -= 1

    def talk(self, address: int, data: bytes, answer: int, wait: float) -> bytes:
        self.written.append(f"{address:02x}: {data.hex(' ')}")
        if address == 0x50:
            return self.edid[:answer]
        if not self.answers:
            raise BackendError("no DDC/CI answer on /dev/i2c-4: Remote I/O error")
        self._receive(data)
        return self._reply[:answer] if answer else b""

    def _receive(self, data: bytes) -> None:
        if _xor(bytes([0x6E]) + data[:-1]) != data[-1]:
            self._reply = bytes([0x6E, 0x80, 0xBE])  # null message: bad checksum from the host
        elif data[2] == 0x01:  # Get VCP
            body = bytes([0x6E, 0x88, 0x02, 0x00 if data[3] == 0x60 else 0x01, data[3], 0x00, 0x00, 0x12,
                          0x00, self.input])
            self._reply = body + bytes([_xor(bytes([0x50]) + body) ^ (0xFF if self.garbled else 0)])
            self.garbled = max(0, self.garbled - 1)
        elif data[2] == 0x03 and data[3] == 0x60:  # Set VCP
            self.input = int.from_bytes(data[4:6], "big")
