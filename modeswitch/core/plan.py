"""plan(actual, target) -> Plan: the one place that decides what a transition does. Pure.

Groups run in order; the steps inside a group are independent and may run concurrently:
before-hooks (one group each, in order) → VM power → releases (detach, viewer stop) →
acquisitions (attach, audio, display, TV) → viewer start → monitor input → after-hooks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from modeswitch.errors import ModeswitchError, SinkMissing
from modeswitch.model import (
    Mode,
    Plan,
    SeatState,
    Step,
    StepKind,
    VmObservation,
    VmPower,
    WhenMissing,
)
from modeswitch.parts.audio.plan import plan_audio
from modeswitch.parts.display.plan import plan_display
from modeswitch.parts.guest.plan import plan_guest
from modeswitch.parts.monitor.plan import plan_monitor
from modeswitch.parts.tv.plan import plan_tv
from modeswitch.parts.vm.plan import plan_vm


def plan(actual: SeatState, target: Mode, modes: Iterable[Mode], *, entering: bool = False) -> Plan:
    """Diff the observed seat against `target`. A mode already in place plans zero steps.

    Hooks and guest actions belong to entering a mode: they run when the seat changes, or when
    `entering` says the seat comes from another (or an unknown) mode, so a mode made only of
    hooks works too.

    Raises PlanError when the target cannot be reached from what is observed; nothing has
    been applied at that point.
    """
    power, vm_release, vm_acquire = plan_vm(target, modes, actual)
    notes: list[str] = []
    try:
        profile, sink = plan_audio(target.audio, actual.audio)
    except SinkMissing as exc:
        if target.audio is None or target.audio.when_missing is not WhenMissing.WAIT:
            raise
        profile, sink = [], []
        notes.append(f"audio waits: {exc}")
    viewer_stop, viewer_start = _plan_viewer(target, actual)
    display = plan_display(target.display, actual.display) + plan_tv(target.tv, actual.tv)
    monitor, monitor_notes = plan_monitor(target.monitor, actual.monitor)
    notes += monitor_notes
    # the monitor's input last: once it shows the other computer it may not answer to an undo
    groups = [power, vm_release + viewer_stop + profile, vm_acquire + sink + display, viewer_start, monitor]
    groups = [group for group in groups if group]
    if not groups and not entering:
        return Plan(target.name, notes=tuple(notes))
    before = [[_hook_step(h.argv, h.timeout, h.undo, "before")] for h in target.hooks.before]
    after = [[_hook_step(h.argv, h.timeout, h.undo, "after")] for h in target.hooks.after]
    # guest actions once the VM runs and its devices are in, before the monitor's input moves
    at = len(groups) - 1 if monitor else len(groups)
    groups[at:at] = plan_guest(target, actual.vm)
    return Plan(target.name, tuple(tuple(g) for g in before + groups + after), tuple(notes))


def _hook_step(argv: tuple[str, ...], timeout: float, undo: tuple[str, ...] | None, when: str) -> Step:
    undo_step = None
    if undo is not None:
        undo_step = Step.make(StepKind.HOOK, undo[0], f"undo {when}-hook {undo[0]}", {"argv": undo, "timeout": timeout})
    args = {"argv": argv, "timeout": timeout}
    return Step.make(StepKind.HOOK, argv[0], f"{when}-hook {' '.join(argv)}", args, undo_step)


def _plan_viewer(target: Mode, actual: SeatState) -> tuple[list[Step], list[Step]]:
    if target.viewer is None:
        return [], []
    running = actual.viewer is not None and actual.viewer.running
    wanted = target.viewer.run and _vm_shows_a_picture(target, actual.vm)
    start = Step.make(StepKind.VIEWER_START, "looking-glass", "start Looking Glass", {"argv": target.viewer.argv})
    stop = Step.make(StepKind.VIEWER_STOP, "looking-glass", "stop Looking Glass")
    if wanted and not running:
        return [], [Step.make(start.kind, start.target, start.description, start.args, stop)]
    if not wanted and running:
        restart = Step.make(StepKind.VIEWER_START, "looking-glass", "restart Looking Glass", {"argv": None})
        return [Step.make(stop.kind, stop.target, stop.description, stop.args, restart)], []
    return [], []


def _vm_shows_a_picture(target: Mode, vm: VmObservation | None) -> bool:
    """Looking Glass only shows "waiting for the guest" while the VM is off, so a mode wants it
    only while the VM runs (or this plan starts it). Without a VM part there is nothing to ask."""
    if vm is None or not vm.connected or vm.error:
        return True
    return vm.state in ("running", "paused") or target.vm is VmPower.RUNNING


def scoped(mode: Mode, parts: frozenset[str]) -> Mode:
    """The mode limited to some subsystems, for reconciling after an event.

    A new audio stream must not start a VM the user shut down, so event-driven
    reconciliation plans only the part the event is about, and never runs hooks. Its USB
    rules are all optional: after an unplug the stale hostdev must go even though the pad a
    rule names is missing.
    """
    keep: dict[str, Any] = {name: getattr(mode, name) if name in parts else None for name in _PARTS}
    if keep["usb"] is not None:
        keep["usb"] = tuple(replace(rule, optional=True) for rule in keep["usb"])
    return Mode(name=mode.name, source=mode.source, **keep)


_PARTS = ("vm", "usb", "inputs", "audio", "viewer", "display", "tv", "monitor")


def matching_modes(actual: SeatState, modes: Iterable[Mode]) -> list[str]:
    """Modes already in place (they plan zero steps): how a restarted daemon knows where it is."""
    modes = list(modes)
    found = []
    for mode in modes:
        try:
            if plan(actual, mode, modes).empty:
                found.append(mode.name)
        except ModeswitchError:
            continue
    return found
