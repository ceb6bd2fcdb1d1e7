"""Runs a Plan through the backends: per-step timeouts, concurrent groups, rollback, history.

If any step fails (or the transition is cancelled), every step that already completed is
undone in reverse order, so the seat ends where it started.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from modeswitch.errors import BackendError, ModeswitchError, StepTimeout
from modeswitch.model import Plan, Step, StepKind
from modeswitch.parts.protocols import StepExecutor

log = logging.getLogger(__name__)


@dataclass
class StepRecord:
    step: Step
    ok: bool
    duration_ms: float
    error: str | None = None
    output: str | None = None  # what the step's program printed (guest actions)

    def as_dict(self) -> dict[str, Any]:
        record = {
            "kind": self.step.kind.value,
            "target": self.step.target,
            "description": self.step.description,
            "ok": self.ok,
            "duration_ms": round(self.duration_ms, 3),
            "error": self.error,
        }
        return record if self.output is None else {**record, "output": self.output}


@dataclass
class TransitionResult:
    target: str
    source: str
    ok: bool = True
    started: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="milliseconds"))
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    duration_ms: float = 0.0
    steps: list[StepRecord] = field(default_factory=list)
    undone: list[StepRecord] = field(default_factory=list)
    error: str | None = None
    failed_step: str | None = None
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "started": self.started,
            "target": self.target,
            "source": self.source,
            "ok": self.ok,
            "duration_ms": round(self.duration_ms, 3),
            "steps": [r.as_dict() for r in self.steps],
            "rolled_back": [r.as_dict() for r in self.undone],
            "failed_step": self.failed_step,
            "error": self.error,
            "notes": list(self.notes),
        }


class Engine:
    def __init__(self, executors: Iterable[StepExecutor], step_timeout: float) -> None:
        self.step_timeout = step_timeout
        self.executors: dict[StepKind, StepExecutor] = {}
        for executor in executors:
            for kind in executor.kinds:
                self.executors[kind] = executor

    async def run(
        self, plan: Plan, source: str, record: Callable[[TransitionResult], None] | None = None,
        verify: Callable[[], Awaitable[str | None]] | None = None,
    ) -> TransitionResult:
        """Run `plan`; `record` gets the result even when the run is cancelled midway. Once
        every step is done, `verify` says whether the seat is where the plan meant it to be;
        an error from it fails the run and rolls back like a failed step."""
        result = TransitionResult(plan.target, source, notes=plan.notes)
        began = time.perf_counter()
        done: list[Step] = []  # in completion order, so a cancelled group's finished steps count
        started: list[Step] = []
        try:
            for group in plan.groups:
                started.extend(group)
                records = await asyncio.gather(*(self._timed(step, done) for step in group))
                result.steps.extend(records)
                failed = next((r for r in records if not r.ok), None)
                if failed is not None:
                    result.ok, result.error = False, failed.error
                    result.failed_step = failed.step.description
                    await self._rollback(done, result)
                    break
            else:
                await self._verify(verify, done, result)
        except asyncio.CancelledError:
            result.ok, result.error = False, "cancelled (the daemon is stopping)"
            # a step cut off midway may have had its effect (a hook that ran but was not reaped
            # yet): undo it too, undos are idempotent
            interrupted = [step for step in started if not any(step is finished for finished in done)]
            await asyncio.shield(self._rollback(done + interrupted, result))
            raise
        finally:
            result.duration_ms = (time.perf_counter() - began) * 1000
            if record is not None and (result.steps or not result.ok):
                record(result)
        return result

    async def _verify(self, verify: Callable[[], Awaitable[str | None]] | None, done: list[Step],
                      result: TransitionResult) -> None:
        if verify is None or not done:
            return
        error = await verify()
        if error is not None:
            result.ok, result.error, result.failed_step = False, error, "verify the seat"
            await self._rollback(done, result)

    async def _timed(self, step: Step, done: list[Step] | None = None) -> StepRecord:
        began = time.perf_counter()
        try:
            output = await self._apply(step)
            if done is not None:
                done.append(step)
        except ModeswitchError as exc:
            return StepRecord(step, False, (time.perf_counter() - began) * 1000, str(exc))
        except Exception as exc:  # a backend bug must still roll back, and be logged in full
            log.exception("step %s failed unexpectedly", step.description)
            return StepRecord(step, False, (time.perf_counter() - began) * 1000, f"{type(exc).__name__}: {exc}")
        return StepRecord(step, True, (time.perf_counter() - began) * 1000,
                          output=output if isinstance(output, str) else None)

    async def _apply(self, step: Step) -> object:
        if step.kind is StepKind.NOOP:
            return None
        executor = self.executors.get(step.kind)
        if executor is None:
            raise BackendError(f"no backend handles {step.kind.value} steps", "is that part configured?")
        # A hook has its own timeout; the engine's is a backstop slightly above it.
        timeout = max(self.step_timeout, float(step.args.get("timeout", 0)) + 1.0)
        try:
            return await asyncio.wait_for(executor.apply(step), timeout)
        except TimeoutError:
            raise StepTimeout(f"'{step.description}' did not finish within {timeout:g} s") from None

    async def _rollback(self, done: list[Step], result: TransitionResult) -> None:
        for step in reversed(done):
            if step.undo is None:
                continue
            record = await self._timed(step.undo)
            result.undone.append(record)
            if not record.ok:
                log.error("rollback step '%s' failed: %s", step.undo.description, record.error)
