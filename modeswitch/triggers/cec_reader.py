"""Reads the CEC bus for the `triggers: cec:` rules; what a frame means is in cec_events.py.

The adapter is opened only while some rule needs it, as a non-blocking file on the event loop
(no thread, no timer: an idle bus costs no wakeup). It is put in monitor mode where the
kernel allows it (CAP_NET_ADMIN: every frame, ours too), else in follower mode (the frames
for us and the broadcasts), and never as the initiator, so the tv part and cec-ctl keep
sending on it. In follower mode our own frames are not read back, so the tv backend tells
the rules what it is about to send (`note_sent`), before it goes on the wire.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from modeswitch.errors import BackendError
from modeswitch.model import CecRule
from modeswitch.parts.tv.device import MODE_FOLLOWER, MODE_MONITOR, MODE_NO_INITIATOR, CecDevice
from modeswitch.triggers.base import Requester, SeatView
from modeswitch.triggers.cec_events import CecEventRules

log = logging.getLogger(__name__)


class CecListener(Protocol):
    """What the reader needs of an adapter; KernelListener is the real one."""

    def fileno(self) -> int: ...

    def physical_address(self) -> int: ...

    def logical_address(self) -> int: ...

    def frames(self) -> list[bytes]:
        """Every frame queued now; [] when none."""

    def close(self) -> None: ...


class KernelListener:
    """A /dev/cecN opened to listen: monitor mode if allowed, else follower."""

    def __init__(self, path: str) -> None:
        self.device = CecDevice(path, nonblocking=True)
        try:
            self.me = self.device.logical_address()  # claimed as the tv part would, before listening
            try:
                self.device.set_mode(MODE_NO_INITIATOR | MODE_MONITOR)
                self.monitor = True
            except BackendError:  # EPERM without CAP_NET_ADMIN: follower mode is enough
                self.device.set_mode(MODE_NO_INITIATOR | MODE_FOLLOWER)
                self.monitor = False
        except BaseException:
            self.device.close()
            raise

    def fileno(self) -> int:
        return self.device.fd

    def physical_address(self) -> int:
        return self.device.physical_address()

    def logical_address(self) -> int:
        return self.me

    def frames(self) -> list[bytes]:
        out = []
        while (data := self.device.receive()) is not None:
            out.append(data)
        return out

    def close(self) -> None:
        self.device.close()


class CecTriggers:
    """One listener per adapter the rules name, feeding one CecEventRules."""

    def __init__(self, rules: Sequence[CecRule], requester: Requester, seat: SeatView, *,
                 opener: Callable[[str], CecListener] = KernelListener,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rules = CecEventRules(rules, requester, seat)
        self._devices = sorted({rule.device for rule in rules})
        self._opener, self._clock = opener, clock
        self._listeners: dict[str, CecListener] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def note_sent(self, data: bytes) -> None:
        """Called by the tv backend (from its worker thread) just before it sends `data`."""
        self.rules.echoes.own(data, self._clock())

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        for device in self._devices:
            try:
                listener = self._opener(device)
            except BackendError as exc:
                log.error("CEC triggers on %s are off: %s", device, exc)
                continue
            self._listeners[device] = listener
            loop.add_reader(listener.fileno(), self._readable, device)

    def _readable(self, device: str) -> None:
        listener = self._listeners[device]
        try:
            frames = listener.frames()
            ours = listener.physical_address() if frames else 0
        except BackendError as exc:  # the adapter went away (USB adapter unplugged)
            log.error("stopped reading %s: %s", device, exc)
            self._drop(device)
            return
        for data in frames:
            try:
                self.rules.received(data, ours, listener.logical_address(), self._clock())
            except ValueError as exc:
                log.debug("ignored a malformed CEC frame on %s: %s", device, exc)

    def _drop(self, device: str) -> None:
        listener = self._listeners.pop(device)
        if self._loop is not None:
            self._loop.remove_reader(listener.fileno())
        listener.close()

    def stop(self) -> None:
        for device in list(self._listeners):
            self._drop(device)

    @property
    def reading(self) -> list[str]:
        return sorted(self._listeners)
