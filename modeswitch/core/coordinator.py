"""Puts the pure Machine in charge of a Seat: one transition at a time, requests coalesce.

Whoever asks (CLI over the socket, the one-shot CLI, a combo, hotplug, a VM event) calls
request() and gets a future of the Outcome; reconciles after events and plans take the same
lock, so nothing that looks at or changes the seat overlaps a transition. The seat is observed
in one place (observe()), and the last observation is what triggers ask about the VM.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from modeswitch.core.engine import TransitionResult
from modeswitch.core.events import EventHub, EventKind
from modeswitch.core.machine import Machine, MachineState, Phase
from modeswitch.core.outcome import Outcome, Result
from modeswitch.core.seat import Seat
from modeswitch.errors import ModeswitchError
from modeswitch.model import Plan, SeatState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    """One asked-for switch: who asked, and the observation to plan from when the caller has
    just made one under its lock (the one-shot CLI); None means look when the switch starts."""

    target: str
    source: str
    seen: SeatState | None = None


class Coordinator:
    def __init__(self, seat: Seat, events: EventHub | None = None) -> None:
        self.seat = seat
        self.events = events or EventHub()  # requests, transitions, state: for `events` and notifications
        self.machine = Machine(seat.config.toggle, seat.config.default_mode)
        self.state = MachineState()
        self.last_seen: SeatState | None = None
        self._waiters: list[tuple[str, asyncio.Future[Outcome]]] = []
        self._pending: Request | None = None  # the machine's pending, as asked
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # transitions, reconciles, plans and rewiring never overlap

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """Hold the seat: no transition runs meanwhile (a config reload swaps wiring here)."""
        async with self._lock:
            yield

    def use_seat(self, seat: Seat) -> None:
        """After a config reload: new modes, backends and toggle pair, same machine state."""
        self.seat = seat
        self.machine = Machine(seat.config.toggle, seat.config.default_mode)

    async def observe(self) -> SeatState:
        """The one place the seat is read from the world; callers plan from what it returns."""
        self.last_seen = await self.seat.observe()
        return self.last_seen

    def vm_running(self) -> bool:
        vm = self.last_seen.vm if self.last_seen is not None else None
        return vm is not None and vm.state == "running"

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

    async def sync_from_world(self) -> SeatState:
        """Where is the seat? Read it back instead of trusting memory (start-up, VM events)."""
        async with self._lock:
            observed = await self.observe()
            self.state = self.machine.observed(self.state, self.seat.locate(observed))
            return observed

    # --- requests ------------------------------------------------------------------------

    def request(self, action: str, source: str, *, seen: SeatState | None = None) -> asyncio.Future[Outcome]:
        """Ask for a mode (or toggle). An unknown mode is refused at once, nothing queued.

        `seen` is an observation the caller has just made and nothing can have changed since
        (the one-shot CLI, under its lock): the switch plans from it instead of looking again."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        try:
            target = self.machine.resolve(action, self.state)
            self.seat.mode(target)
        except ModeswitchError as exc:
            log.error("%s asked for %s: %s", source, action, exc)
            future.set_result(Outcome(Result.REFUSED, action, str(exc), type(exc).__name__))
            self.events.publish(EventKind.REQUEST, action=action, target=None, source=source)
            self.events.publish(EventKind.FINISHED, **{**future.result().as_dict(), "source": source})
            return future
        decision = self.machine.request(action, self.state)
        self.state = decision.state
        asked = Request(target, source, seen if decision.start == target else None)
        superseded = self._pending if self._pending is not None and self._pending.target != self.state.pending \
            else None
        if superseded is not None:
            outcome = Outcome(Result.SUPERSEDED, superseded.target, f"superseded by a request for {target}",
                              superseded_by=target)
            self._resolve(superseded.target, outcome)
            self.events.publish(EventKind.FINISHED, **{**outcome.as_dict(), "source": superseded.source})
            self._pending = None
        self._waiters.append((target, future))
        self.events.publish(EventKind.REQUEST, action=action, target=target, source=source)
        if decision.start:
            self._start(asked)
        elif self.state.pending == target:
            self._pending = asked
        log.info("request %s -> %s from %s (%s)", action, target, source, self.state.phase.value)
        return future

    async def plan(self, name: str, *, seen: SeatState | None = None) -> Plan:
        """What switching to `name` would do, never during a transition: from a fresh look,
        or from `seen` when the caller has just observed (as for request())."""
        async with self._lock:
            observed = seen if seen is not None else await self.observe()
            return self.seat.plan(name, current=self.state.mode, state=observed)

    def _start(self, asked: Request) -> None:
        self.events.publish(EventKind.STARTED, target=asked.target, source=asked.source, previous=self.state.mode)
        self.events.publish(EventKind.STATE, **self.status())
        self._task = asyncio.get_running_loop().create_task(self._run(asked))

    async def _run(self, asked: Request) -> None:
        target = asked.target
        try:
            async with self._lock:
                outcome = await self._transition(asked)
        except asyncio.CancelledError:
            # the engine has rolled back; the client still gets an answer before we stop
            self.state = self.machine.finished(self.state, False, "cancelled: the daemon is stopping").state
            self._resolve(target, Outcome(Result.CANCELLED, target, "the daemon stopped; the switch was rolled back"))
            raise
        log.log(logging.INFO if outcome.ok else logging.ERROR, "transition to %s %s", target,
                "done" if outcome.ok else f"failed: {outcome.error}")
        decision = self.machine.finished(self.state, outcome.ok, outcome.error)
        self.state = decision.state
        self._resolve(target, outcome)
        self.events.publish(EventKind.FINISHED, **{**outcome.as_dict(), "source": asked.source})
        self.events.publish(EventKind.STATE, **self.status())
        if decision.start:
            following, self._pending = self._pending, None
            self._start(following if following is not None and following.target == decision.start
                        else Request(decision.start, "unknown"))

    async def _transition(self, asked: Request) -> Outcome:
        """One observation per switch: the caller's, or one made now, under the lock."""
        try:
            observed = asked.seen if asked.seen is not None else await self.observe()
            result = await self.seat.switch(asked.target, asked.source, current=self.state.mode, state=observed)
        except ModeswitchError as exc:  # the plan was refused: nothing was applied
            return Outcome(Result.REFUSED, asked.target, str(exc), type(exc).__name__)
        return _outcome(result)

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
        async with self._lock:
            if self.state.phase is not Phase.IDLE or self.state.mode is None:
                return  # a transition ran while this waited for the lock
            try:
                observed = await self.observe()
                result = await self.seat.switch(self.state.mode, reason, parts, state=observed)
            except ModeswitchError as exc:
                log.info("reconcile %s after %s: %s", ",".join(sorted(parts)), reason, exc)
                return
        if result.steps:
            log.info("reconciled %s after %s: %d step(s)", ",".join(sorted(parts)), reason, len(result.steps))

    async def shutdown(self) -> None:
        """Cancel a running transition (the engine rolls back what it did) and answer every
        waiter: nobody who asked is left without a reply."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        for name, future in self._waiters:
            if not future.done():
                future.set_result(Outcome(Result.CANCELLED, name, "the daemon stopped before this switch ran"))
        self._waiters = []

    def status(self) -> dict[str, Any]:
        s = self.state
        return {"mode": s.mode, "phase": s.phase.value, "target": s.target, "pending": s.pending,
                "error": s.error}


def _outcome(result: TransitionResult) -> Outcome:
    kind = Result.DONE if result.ok else Result.ROLLED_BACK
    return Outcome(kind, result.target, result.error, None if result.ok else "TransitionFailed",
                   record=result.as_dict())
