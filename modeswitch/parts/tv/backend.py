"""The TV over HDMI-CEC: asks its power state, wakes it, takes its input, puts it to standby.

The device is opened for each observation or step and closed again, so another program
(cec-ctl, a TV remote bridge) can use the adapter between switches. A step carries all it
needs (device, power, physical address) and re-reads nothing. CEC gives no confirmation that
a TV acted on <Image View On> beyond the acknowledge, so an unacknowledged frame is an error
and an acknowledged one is taken as done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from modeswitch.errors import BackendError
from modeswitch.model import Step, StepKind
from modeswitch.parts.tv import messages as cec
from modeswitch.parts.tv.device import RX_STATUS_OK, TX_STATUS_OK, CecDevice
from modeswitch.parts.tv.spec import TvObservation

ANSWER_MS = 1000  # CEC 1.4 §9.2: a follower answers within 1 s


@dataclass(frozen=True)
class Sent:
    acked: bool
    reply: bytes | None  # the answer asked for, when it came


class CecLink(Protocol):
    """What the backend needs of an adapter; CecDevice is the real one."""

    def physical_address(self) -> int: ...

    def logical_address(self) -> int: ...

    def send(self, data: bytes, reply: int = 0) -> Sent: ...

    def close(self) -> None: ...


class KernelLink:
    """CecLink on /dev/cecN."""

    def __init__(self, path: str) -> None:
        self.device = CecDevice(path)

    def physical_address(self) -> int:
        return self.device.physical_address()

    def logical_address(self) -> int:
        return self.device.logical_address()

    def send(self, data: bytes, reply: int = 0) -> Sent:
        msg = self.device.transmit(data, reply=reply, timeout_ms=ANSWER_MS)
        answered = bool(reply) and bool(msg.rx_status & RX_STATUS_OK)
        return Sent(bool(msg.tx_status & TX_STATUS_OK), bytes(msg.msg[: msg.len]) if answered else None)

    def close(self) -> None:
        self.device.close()


class CecBackend:
    """TV steps and observations through the adapter at `device`; `opener` makes the link."""

    kinds = frozenset({StepKind.TV})

    def __init__(self, device: str = "/dev/cec0", *, opener: Callable[[str], CecLink] = KernelLink) -> None:
        self.device = device
        self.opener = opener
        # told each frame before it is sent (from the worker thread): the CEC triggers, so
        # that the TV's answers to it are not taken for the TV's own doing
        self.on_send: list[Callable[[bytes], None]] = []

    def _send(self, link: CecLink, frame: cec.Frame, reply: int = 0) -> Sent:
        data = frame.encode()
        for listener in list(self.on_send):
            listener(data)
        return link.send(data, reply)

    async def observe(self) -> TvObservation:
        """The adapter's physical address, the TV's power and the active source; a missing or
        forbidden adapter is reported in `error`, so a switch can say why before it starts."""
        try:
            return await asyncio.to_thread(self._observe)
        except BackendError as exc:
            return TvObservation(self.device, error=str(exc))

    def _observe(self) -> TvObservation:
        link = self.opener(self.device)
        try:
            address = link.physical_address()
            me = link.logical_address()
            power = _answer(self._send(link, cec.give_power_status(me), cec.Opcode.REPORT_POWER_STATUS))
            source = _answer(self._send(link, cec.request_active_source(me), cec.Opcode.ACTIVE_SOURCE))
        finally:
            link.close()
        status = cec.power_status(power) if power else None
        return TvObservation(
            self.device, status.name.lower() if status is not None else None,
            None if address == cec.INVALID_PHYSICAL_ADDRESS else address,
            cec.reported_source(source) if source else None)

    async def apply(self, step: Step) -> None:
        if step.kind is not StepKind.TV:
            raise BackendError(f"the CEC backend cannot apply {step.kind.value}")
        await asyncio.to_thread(self._apply, step)

    def _apply(self, step: Step) -> None:
        """Power first (a TV in standby may ignore <Active Source>), then the input. If a later
        frame is not acknowledged, what the earlier ones did is undone before the error."""
        link = self.opener(step.args.get("device", self.device))
        try:
            me = link.logical_address()
            sent = 0
            for frame in _frames_of(me, step):
                if not self._send(link, frame).acked:
                    if sent and step.undo is not None:
                        for back in _frames_of(me, step.undo):
                            self._send(link, back)
                    raise BackendError(f"the TV did not acknowledge {cec.describe(frame).split(': ')[1]}",
                                       "is it connected by HDMI and is CEC (Anynet+, Bravia Sync, SimpLink…) on?")
                sent += 1
        finally:
            link.close()


def _frames_of(me: int, step: Step) -> list[cec.Frame]:
    return frames(me, step.args.get("power"), step.args.get("source"), step.args.get("release"))


def frames(me: int, power: str | None, source: int | None, release: int | None) -> list[cec.Frame]:
    """The frames one TV step sends, in order."""
    out = []
    if power == "on":
        out.append(cec.image_view_on(me))
    if release is not None:
        out.append(cec.inactive_source(me, release))
    if source is not None:
        out.append(cec.active_source(me, source))
    if power == "standby":
        out.append(cec.standby(me))
    return out


def _answer(sent: Sent) -> cec.Frame | None:
    return cec.decode(sent.reply) if sent.reply else None
