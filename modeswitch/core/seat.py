"""The seat controller: observe → plan → run → record. Shared by the daemon and the CLI.

It owns no policy about who asked or when; the daemon (or the one-shot CLI) decides that.
Backends come in through a BackendSet, so tests and the demo can pass their own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from modeswitch.config.loader import Config
from modeswitch.core.engine import Engine, TransitionResult
from modeswitch.core.history import HistoryLog, InFlight
from modeswitch.core.plan import matching_modes, plan, scoped
from modeswitch.errors import ModeswitchError, UnknownMode
from modeswitch.model import Mode, Plan, SeatState
from modeswitch.parts.protocols import StepExecutor
from modeswitch.suggest import suggest

log = logging.getLogger(__name__)


class BackendSet:
    """The outside systems this seat uses, keyed by part name; a part no mode needs is absent.

    Built in registry order by the composition root (or passed in by tests and the demo);
    closed in the reverse order, so guest actions and the viewer go before the VM they use."""

    def __init__(self, **parts: Any) -> None:
        self.parts: dict[str, Any] = {name: backend for name, backend in parts.items() if backend is not None}

    def get(self, part: str) -> Any:
        return self.parts.get(part)

    def executors(self) -> list[StepExecutor]:
        return [backend for backend in self.parts.values() if isinstance(backend, StepExecutor)]

    def observers(self) -> dict[str, Any]:
        return {name: backend for name, backend in self.parts.items() if hasattr(backend, "observe")}

    async def close(self) -> None:
        for backend in reversed(list(self.parts.values())):
            close = getattr(backend, "close", None)
            if close is None:
                continue
            try:
                await close()
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

    async def observe(self, parts: Iterable[str] | None = None) -> SeatState:
        """Read every part (or only `parts`) back from the world, concurrently; a part that
        fails to answer is left out of the state."""
        observers = self.backends.observers()
        names = [name for name in observers if parts is None or name in parts]
        seen = await asyncio.gather(*(_maybe(observers[name]) for name in names))
        return SeatState(**dict(zip(names, seen, strict=True)))

    def plan(
        self, name: str, parts: frozenset[str] | None = None, current: str | None = None, *,
        state: SeatState,
    ) -> Plan:
        """The steps from the observed `state` to mode `name`. `current` is the mode in place;
        entering another one (or leaving an unknown state) runs its hooks. `parts` limits the
        plan to some parts, without hooks. Raises PlanError; nothing is applied then."""
        target = self._target(name, parts)
        entering = parts is None and current != name
        return plan(state, target, self.modes, entering=entering)

    def _target(self, name: str, parts: frozenset[str] | None) -> Mode:
        target = self.mode(name)
        return target if parts is None else scoped(target, parts)

    async def switch(
        self, name: str, source: str, parts: frozenset[str] | None = None, current: str | None = None, *,
        state: SeatState,
    ) -> TransitionResult:
        """Plan from the observation the caller just made, and run: steps act on what was
        observed instead of looking again. Then look once more: a seat that is not as the mode
        asks (the VM destroyed under a hook, a device that left meanwhile) fails the switch and
        rolls it back with the reason. A PlanError propagates, a failed step rolls back."""
        steps = self.plan(name, parts, current, state=state)
        if steps.empty:
            return await self.engine.run(steps, source)
        target = self._target(name, parts)
        self.in_flight.begin(name, current)
        try:
            return await self.engine.run(steps, source, record=lambda result: self.history.append(result.as_dict()),
                                         verify=lambda: self.verify(target))
        finally:
            self.in_flight.end()  # also after a rollback or a cancel: only a dead process leaves it

    async def verify(self, target: Mode) -> str | None:
        """None when the seat, observed now, is as `target` asks; else why not."""
        try:
            left = plan(await self.observe(), target, self.modes)
        except ModeswitchError as exc:
            return f"after the switch: {exc}"
        if left.empty:
            return None
        return "after the switch the seat is not as mode '" + target.name + "' asks: " + \
            "; ".join(step.description for step in left.steps) + " still to do"

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
