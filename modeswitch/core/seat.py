"""The seat controller: observe → plan → run → record. Shared by the daemon and the CLI.

It owns no policy about who asked or when; the daemon (or the one-shot CLI) decides that.
Backends come in through a BackendSet, so tests and the demo can pass their own.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from modeswitch.config.loader import Config
from modeswitch.core.engine import Engine, TransitionResult
from modeswitch.core.history import HistoryLog, InFlight
from modeswitch.core.plan import matching_modes, plan, scoped
from modeswitch.errors import ModeswitchError, UnknownMode
from modeswitch.model import Mode, Plan, SeatState
from modeswitch.parts.protocols import (
    AudioBackend,
    DisplayBackend,
    GuestBackend,
    MonitorBackend,
    StepExecutor,
    TvBackend,
    UsbInventory,
    ViewerBackend,
    VmBackend,
)
from modeswitch.suggest import suggest

log = logging.getLogger(__name__)


@dataclass
class BackendSet:
    """The outside systems this seat uses; a part no mode needs is None."""

    hooks: StepExecutor
    vm: VmBackend | None = None
    usb: UsbInventory | None = None
    audio: AudioBackend | None = None
    viewer: ViewerBackend | None = None
    display: DisplayBackend | None = None
    tv: TvBackend | None = None
    guest: GuestBackend | None = None  # guest actions through the VM's agent
    monitor: MonitorBackend | None = None
    extra: list[StepExecutor] = field(default_factory=list)

    def executors(self) -> list[StepExecutor]:
        parts = [self.hooks, self.vm, self.audio, self.viewer, self.display, self.tv, self.monitor, self.guest,
                 *self.extra]
        return [part for part in parts if part is not None]

    async def close(self) -> None:
        for part in (self.viewer, self.audio, self.guest, self.vm):
            if part is not None:
                try:
                    await part.close()
                except ModeswitchError as exc:
                    log.warning("closing a backend: %s", exc)


class Seat:
    def __init__(self, config: Config, backends: BackendSet, history: HistoryLog) -> None:
        self.config = config
        self.backends = backends
        self.history = history
        self.engine = Engine(backends.executors(), config.step_timeout)
        self.in_flight = InFlight(history.path.with_name("in-flight.json"))

    @property
    def modes(self) -> list[Mode]:
        return list(self.config.modes.values())

    def mode(self, name: str) -> Mode:
        try:
            return self.config.modes[name]
        except KeyError:
            raise UnknownMode(f"unknown mode '{name}'", suggest(name, list(self.config.modes))) from None

    async def observe(self) -> SeatState:
        """Read every part back from the world, concurrently; a part that fails is None."""
        b = self.backends
        vm, audio, viewer, display, tv, monitor = await asyncio.gather(
            _maybe(b.vm), _maybe(b.audio), _maybe(b.viewer), _maybe(b.display), _maybe(b.tv), _maybe(b.monitor)
        )
        host_usb = b.usb.scan() if b.usb is not None else ()
        return SeatState(vm=vm, host_usb=host_usb, audio=audio, viewer=viewer, display=display, tv=tv,
                         monitor=monitor)

    async def observe_usb(self) -> SeatState:
        """Only where the USB devices are, in the VM and on the host: what the usbmon reader
        follows after a switch, without the sound server, displays, the TV and the monitor."""
        b = self.backends
        return SeatState(vm=await _maybe(b.vm), host_usb=b.usb.scan() if b.usb is not None else ())

    def plan(
        self, name: str, parts: frozenset[str] | None = None, current: str | None = None, *,
        state: SeatState,
    ) -> Plan:
        """The steps from the observed `state` to mode `name`. `current` is the mode in place;
        entering another one (or leaving an unknown state) runs its hooks. `parts` limits the
        plan to some subsystems, without hooks. Raises PlanError; nothing is applied then."""
        target = self.mode(name)
        entering = parts is None and current != name
        if parts is not None:
            target = scoped(target, parts)
        return plan(state, target, self.modes, entering=entering)

    async def switch(
        self, name: str, source: str, parts: frozenset[str] | None = None, current: str | None = None, *,
        state: SeatState,
    ) -> TransitionResult:
        """Plan from the observation the caller just made, and run: steps act on what was
        observed instead of looking again. A PlanError propagates, a failed step rolls back."""
        steps = self.plan(name, parts, current, state=state)
        if steps.empty:
            return await self.engine.run(steps, source)
        self.in_flight.begin(name, current)
        try:
            return await self.engine.run(steps, source, record=lambda result: self.history.append(result.as_dict()))
        finally:
            self.in_flight.end()  # also after a rollback or a cancel: only a dead process leaves it

    def locate(self, state: SeatState) -> str | None:
        """Which mode `state` is in. Several can match (a mode that leaves a part alone fits
        more seats), so prefer the one applied last, then the default."""
        found = matching_modes(state, self.modes)
        last_applied = [r["target"] for r in reversed(self.history.tail(20)) if r.get("ok")][:1]
        for name in [*last_applied, self.config.default_mode]:
            if name in found:
                return name
        return found[0] if found else None


async def _maybe(backend: Any) -> Any:
    if backend is None:
        return None
    try:
        return await backend.observe()
    except ModeswitchError as exc:
        log.warning("observing %s failed: %s", type(backend).__name__, exc)
        return None
