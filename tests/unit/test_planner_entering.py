"""Hooks run on entering a mode, including a mode made of nothing but hooks."""

from __future__ import annotations

import pytest

from modeswitch.model import Hook, Hooks, Mode, SeatState, StepKind, ViewerObservation, ViewerSpec
from modeswitch.planner import plan

HOOKS = Hooks(before=(Hook(("notify-send", "tv")),), after=(Hook(("touch", "/tmp/tv")),))
HOOKS_ONLY = Mode("movie", hooks=HOOKS)
VIEWER_OFF = Mode("tv", viewer=ViewerSpec(run=False), hooks=HOOKS)
STOPPED = SeatState(viewer=ViewerObservation(running=False))
RUNNING = SeatState(viewer=ViewerObservation(running=True, pid=42))


@pytest.mark.parametrize(
    ("state", "mode", "entering", "expected"),
    [
        # already in place: nothing, hooks included
        (STOPPED, VIEWER_OFF, False, []),
        (STOPPED, HOOKS_ONLY, False, []),
        # entering from another mode: the hooks run even though nothing else changes
        (STOPPED, VIEWER_OFF, True, [StepKind.HOOK, StepKind.HOOK]),
        (STOPPED, HOOKS_ONLY, True, [StepKind.HOOK, StepKind.HOOK]),
        # something changes: hooks wrap the change either way
        (RUNNING, VIEWER_OFF, False, [StepKind.HOOK, StepKind.VIEWER_STOP, StepKind.HOOK]),
        (RUNNING, VIEWER_OFF, True, [StepKind.HOOK, StepKind.VIEWER_STOP, StepKind.HOOK]),
    ],
)
def test_hooks_follow_entering(state: SeatState, mode: Mode, entering: bool, expected: list[StepKind]) -> None:
    result = plan(state, mode, [mode], entering=entering)
    assert [step.kind for step in result.steps] == expected
    if expected:
        assert result.steps[0].description == "before-hook notify-send tv"
        assert result.steps[-1].description == "after-hook touch /tmp/tv"
