"""A stand-in for a CEC adapter with a TV on its bus, for the demo and the tests.

No CEC adapter exists where the demo and the tests run, so this takes the place of the
kernel link (modeswitch.parts.tv.backend.CecLink): frames go in as bytes and answers come
back as the bytes a TV sends. Never used by the daemon.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field

from modeswitch.parts.tv import messages as cec
from modeswitch.parts.tv.backend import Sent


@dataclass
class StandInTv:
    """A CEC bus as seen from /dev/cecN: we are Playback Device 1 at `address`, the TV is 0.
    The TV follows CEC 1.4: <Image View On> wakes it, <Standby> sends it to standby, <Active
    Source> switches its input while it is on, and it answers <Give Device Power Status>;
    `present` False is an unplugged TV (nothing acknowledges).

    What the TV says on the bus reaches every `listen()`er, as the kernel hands a follower the
    broadcasts and the frames for us: when it wakes (a CEC 2.0 TV broadcasts <Report Power
    Status>, a 1.4 one asks <Request Active Source>, and it first goes back to its last input,
    `wakes_to`, with <Routing Change>), the answers to our questions, and what its remote
    does (`remote_power`, `remote_input`)."""

    power: int = cec.PowerStatus.STANDBY
    source: int | None = 0x2000
    address: int = 0x1000
    present: bool = True
    ignores: int | None = None  # an opcode this TV does not acknowledge (CEC half switched off)
    wire: list[str] = field(default_factory=list)
    opened: int = 0
    wakes_to: int | None = None
    cec_2_0: bool = True
    listeners: list[StandInListener] = field(default_factory=list)

    def listen(self, path: str) -> StandInListener:
        listener = StandInListener(self)
        self.listeners.append(listener)
        return listener

    def _say(self, data: bytes) -> None:
        for listener in list(self.listeners):
            listener.deliver(data)

    def _power(self, status: int) -> None:
        if status == self.power:
            return
        self.power = status
        if self.cec_2_0:
            self._say(bytes([0x0F, 0x90, status]))
        if status == cec.PowerStatus.ON:
            if not self.cec_2_0:
                self._say(bytes([0x0F, 0x85]))
            if self.wakes_to is not None:
                self._route(self.wakes_to)
        else:
            self.source = None

    def _route(self, address: int) -> None:
        old, self.source = self.source or 0, address
        self._say(bytes([0x0F, 0x80]) + old.to_bytes(2, "big") + address.to_bytes(2, "big"))

    def remote_power(self, on: bool) -> None:
        """The TV's own power button: on, or to standby (then it tells every device to follow)."""
        self._power(cec.PowerStatus.ON if on else cec.PowerStatus.STANDBY)
        if not on:
            self._say(bytes([0x0F, 0x36]))

    def remote_input(self, address: int) -> None:
        """An input chosen with the remote: <Routing Change>, then <Set Stream Path> to it."""
        self._route(address)
        self._say(bytes([0x0F, 0x86]) + address.to_bytes(2, "big"))

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
            self._power(cec.PowerStatus.ON)
        elif frame.opcode == cec.Opcode.STANDBY:
            self._power(cec.PowerStatus.STANDBY)
        elif frame.opcode == cec.Opcode.ACTIVE_SOURCE and self.power == cec.PowerStatus.ON:
            self.source = cec.reported_source(frame)
        elif frame.opcode == cec.Opcode.INACTIVE_SOURCE and self.source == int.from_bytes(frame.operands, "big"):
            self.source = None
        answer = self._answer(frame)
        if answer is not None:
            self._say(answer)  # a follower is handed the answer too
        return Sent(True, answer if reply else None)

    def _answer(self, frame: cec.Frame) -> bytes | None:
        if frame.opcode == cec.Opcode.GIVE_DEVICE_POWER_STATUS:
            return bytes([0x04, 0x90, self.power])
        if frame.opcode == cec.Opcode.REQUEST_ACTIVE_SOURCE and self.source is not None:
            return bytes([0x8F, 0x82]) + self.source.to_bytes(2, "big")  # Playback Device 2 answers
        return None


class StandInListener:
    """A listening file on the stand-in adapter: a real pipe the event loop watches, so the
    reader wakes only when the TV said something."""

    def __init__(self, tv: StandInTv) -> None:
        self.tv = tv
        self.queue: deque[bytes] = deque()
        self._read, self._write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)

    def deliver(self, data: bytes) -> None:
        self.queue.append(data)
        os.write(self._write, b"!")

    def fileno(self) -> int:
        return self._read

    def physical_address(self) -> int:
        return self.tv.address

    def logical_address(self) -> int:
        return 4

    def frames(self) -> list[bytes]:
        try:
            os.read(self._read, 4096)
        except BlockingIOError:
            pass
        out = list(self.queue)
        self.queue.clear()
        return out

    def close(self) -> None:
        self.tv.listeners.remove(self)
        os.close(self._read)
        os.close(self._write)
