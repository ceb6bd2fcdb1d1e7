"""A stand-in for a CEC adapter with a TV on its bus, for the demo and the tests.

No CEC adapter exists where the demo and the tests run, so this takes the place of the
kernel link (modeswitch.parts.tv.backend.CecLink): frames go in as bytes and answers come
back as the bytes a TV sends. Never used by the daemon.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from modeswitch.parts.tv import messages as cec
from modeswitch.parts.tv.backend import Sent


@dataclass
class StandInTv:
    """A CEC bus as seen from /dev/cecN: we are Playback Device 1 at `address`, the TV is 0.
    The TV follows CEC 1.4: <Image View On> wakes it, <Standby> sends it to standby, <Active
    Source> switches its input while it is on, and it answers <Give Device Power Status>;
    `present` False is an unplugged TV (nothing acknowledges)."""

    power: int = cec.PowerStatus.STANDBY
    source: int | None = 0x2000
    address: int = 0x1000
    present: bool = True
    ignores: int | None = None  # an opcode this TV does not acknowledge (CEC half switched off)
    wire: list[str] = field(default_factory=list)
    opened: int = 0

    def open(self, path: str) -> StandInTv:
        self.opened += 1
        return self

    def physical_address(self) -> int:
        return self.address

    def logical_address(self) -> int:
        return 4

    def close(self) -> None:
        self.opened -= 1

    def send(self, data: bytes, reply: int = 0) -> Sent:
        self.wire.append(data.hex(":"))
        frame = cec.decode(data)
        if not self.present or frame.opcode == self.ignores:
            return Sent(False, None)
        if frame.opcode == cec.Opcode.IMAGE_VIEW_ON:
            self.power = cec.PowerStatus.ON
        elif frame.opcode == cec.Opcode.STANDBY:
            self.power, self.source = cec.PowerStatus.STANDBY, None
        elif frame.opcode == cec.Opcode.ACTIVE_SOURCE and self.power == cec.PowerStatus.ON:
            self.source = cec.reported_source(frame)
        elif frame.opcode == cec.Opcode.INACTIVE_SOURCE and self.source == int.from_bytes(frame.operands, "big"):
            self.source = None
        return Sent(True, self._answer(frame) if reply else None)

    def _answer(self, frame: cec.Frame) -> bytes | None:
        if frame.opcode == cec.Opcode.GIVE_DEVICE_POWER_STATUS:
            return bytes([0x04, 0x90, self.power])
        if frame.opcode == cec.Opcode.REQUEST_ACTIVE_SOURCE and self.source is not None:
            return bytes([0x8F, 0x82]) + self.source.to_bytes(2, "big")  # Playback Device 2 answers
        return None
