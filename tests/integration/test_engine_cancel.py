"""Cancelling a transition midway (the daemon stopping) undoes even the steps that finished
inside the group still running, and the history still gets its record."""

from __future__ import annotations

import asyncio
from pathlib import Path

from modeswitch.core.engine import Engine, TransitionResult
from modeswitch.model import Plan, Step, StepKind
from modeswitch.parts.hooks.backend import HookRunner


def hook(argv: list[str], undo: list[str] | None = None, timeout: float = 30.0) -> Step:
    undo_step = Step.make(StepKind.HOOK, undo[0], "undo", {"argv": tuple(undo), "timeout": 5.0}) if undo else None
    return Step.make(StepKind.HOOK, argv[0], " ".join(argv), {"argv": tuple(argv), "timeout": timeout}, undo_step)


def test_cancel_undoes_finished_steps_of_the_running_group(tmp_path: Path) -> None:
    marker = tmp_path / "applied"
    started = tmp_path / "slow-started"
    fast = hook(["touch", str(marker)], undo=["rm", "-f", str(marker)])
    slow = hook(["sh", "-c", f'touch "{started}"; exec sleep 30'])
    plan = Plan("tv", ((fast, slow),))
    records: list[TransitionResult] = []

    async def scenario() -> None:
        engine = Engine([HookRunner()], step_timeout=60)
        task = asyncio.ensure_future(engine.run(plan, "test", record=records.append))
        while not (marker.exists() and started.exists()):
            await asyncio.sleep(0.01)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        else:
            raise AssertionError("the run should propagate the cancellation")

    asyncio.run(scenario())
    assert not marker.exists(), "the finished step of the cancelled group was not undone"
    assert len(records) == 1
    record = records[0].as_dict()
    assert record["ok"] is False
    assert record["error"] == "cancelled (the daemon is stopping)"
    assert [r["description"] for r in record["rolled_back"]] == ["undo"]
    assert all(r["ok"] for r in record["rolled_back"])
