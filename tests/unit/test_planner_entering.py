"""Hooks run on entering a mode, including a mode made of nothing but hooks."""

from __future__ import annotations

import pytest

from modeswitch.core.plan import plan
from modeswitch.model import Mode, SeatState, StepKind
from modeswitch.parts.hooks.spec import Hook, Hooks
from modeswitch.parts.viewer.spec import ViewerObservation, ViewerSpec

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


def test_reconcile_detaches_the_stale_hostdev_of_a_named_pad_that_was_unplugged() -> None:
    """A full switch refuses a named pad that is missing; reconciling after the unplug must
    still clean up its hostdev, so scoped() makes every rule optional."""
    from modeswitch.core.plan import scoped
    from modeswitch.errors import PlanError
    from modeswitch.parts.usb.spec import UsbMatch
    from modeswitch.parts.vm.spec import AttachedUsb, VmObservation, VmPower

    pad = UsbMatch("couch pad", vendor=0x045E, product=0x028E)
    mode = Mode("tv", vm=VmPower.RUNNING, usb=(pad,), hooks=HOOKS)
    stale = AttachedUsb(0x045E, 0x028E, 1, 5, "<hostdev/>", "ua-modeswitch-045e-028e-001-005")
    state = SeatState(vm=VmObservation("win11", True, "running", usb=(stale,)), usb=())
    with pytest.raises(PlanError):
        plan(state, mode, [mode])
    result = plan(state, scoped(mode, frozenset({"usb"})), [mode])
    assert [(s.kind, s.target) for s in result.steps] == [(StepKind.USB_DETACH, "045e:028e@001.005")]
