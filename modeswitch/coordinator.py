"""Puts the pure Machine in charge of a Seat: one transition at a time, requests coalesce.

Whoever asks (CLI over the socket, a combo, hotplug, a VM event) calls request(); callers that
want the outcome get a future that resolves when the transition serving them ends.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from modeswitch.engine import TransitionResult
from modeswitch.errors import ModeswitchError
from modeswitch.machine import Machine, MachineState, Phase
from modeswitch.seat import Seat

log = logging.getLogger(__name__)

Outcome = dict[str, Any]


class Coordinator:
    def __init__(self, seat: Seat) -> None:
        self.seat = seat
        self.machine = Machine(seat.config.toggle, seat.config.default_mode)
        self.state = MachineState()
        self._waiters: list[tuple[str, asyncio.Future[Outcome]]] = []
        self._sources: dict[str, str] = {}
        self._task: asyncio.Task[None] | None = None
        self.vm_state: str | None = None
        self._lock = asyncio.Lock()  # transitions and reconciles never overlap

    def use_seat(self, seat: Seat) -> None:
        """After a config reload: new modes and toggle pair, same machine state."""
        self.seat = seat
        self.machine = Machine(seat.config.toggle, seat.config.default_mode)

    def recover(self) -> str | None:
        """After a crash mid-switch, go back to the mode the seat was leaving: whatever half
        of the switch had run (pads attached, audio moved) is planned away by that request."""
        marker = self.seat.in_flight.take_interrupted()
        if marker is None:
            return None
        previous, target = marker.get("previous"), marker.get("target")
        log.warning("a switch to %s was interrupted (pid %s died)", target, marker.get("pid"))
        if not isinstance(previous, str) or previous not in self.seat.config.modes:
            return None
        self.request(previous, f"recovery: the switch to {target} was interrupted")
        return previous

    async def sync_from_world(self) -> None:
        """Where is the seat? Read it back instead of trusting memory (start-up, VM events)."""
        observed = await self.seat.observe()
        self.state = self.machine.observed(self.state, self.seat.locate(observed))
        self.vm_state = observed.vm.state if observed.vm else None

    def request(self, action: str, source: str) -> asyncio.Future[Outcome]:
        """Ask for a mode (or toggle). Raises UnknownMode before anything is queued."""
        target = self.machine.resolve(action, self.state)
        self.seat.mode(target)
        previous_pending = self.state.pending
        decision = self.machine.request(action, self.state)
        self.state = decision.state
        if previous_pending and previous_pending != self.state.pending:
            self._resolve(previous_pending, {"ok": False, "superseded_by": target, "target": previous_pending})
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiters.append((target, future))
        self._sources[target] = source
        if decision.start:
            self._start(decision.start)
        log.info("request %s -> %s from %s (%s)", action, target, source, self.state.phase.value)
        return future

    def _start(self, target: str) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(target))

    async def _run(self, target: str) -> None:
        source = self._sources.pop(target, "unknown")
        outcome: Outcome
        try:
            async with self._lock:
                result = await self.seat.switch(target, source, current=self.state.mode)
            outcome = _outcome(result)
            ok, error = result.ok, result.error
        except ModeswitchError as exc:
            outcome = {"ok": False, "target": target, "error": str(exc), "error_type": type(exc).__name__}
            ok, error = False, str(exc)
        log.log(logging.INFO if ok else logging.ERROR, "transition to %s %s", target,
                "done" if ok else f"failed: {error}")
        decision = self.machine.finished(self.state, ok, error)
        self.state = decision.state
        self._resolve(target, outcome)
        if decision.start:
            self._start(decision.start)

    def _resolve(self, target: str, outcome: Outcome) -> None:
        keep = []
        for name, future in self._waiters:
            if name == target:
                if not future.done():
                    future.set_result(outcome)
            else:
                keep.append((name, future))
        self._waiters = keep

    async def reconcile(self, parts: frozenset[str], reason: str) -> None:
        """Bring one part of the current mode back in line after an event; never starts a VM."""
        if self.state.phase is not Phase.IDLE or self.state.mode is None:
            return
        try:
            async with self._lock:
                result = await self.seat.switch(self.state.mode, reason, parts)
        except ModeswitchError as exc:
            log.info("reconcile %s after %s: %s", ",".join(sorted(parts)), reason, exc)
            return
        if result.steps:
            log.info("reconciled %s after %s: %d step(s)", ",".join(sorted(parts)), reason, len(result.steps))

    async def shutdown(self) -> None:
        """Cancel a running transition (the engine rolls back what it did) and fail waiters."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        for _, future in self._waiters:
            if not future.done():
                future.set_result({"ok": False, "error": "the daemon is stopping"})

    def status(self) -> dict[str, Any]:
        s = self.state
        return {"mode": s.mode, "phase": s.phase.value, "target": s.target, "pending": s.pending,
                "error": s.error}


def _outcome(result: TransitionResult) -> Outcome:
    return {**result.as_dict(), "error_type": None if result.ok else "TransitionFailed"}
