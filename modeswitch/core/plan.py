"""plan(actual, target) -> Plan: the one place that decides what a transition does. Pure.

Every part of the registry plans its own steps into slots (parts/part.py, Slot); the slots
become groups in order, and the steps inside one group are independent and may run
concurrently: before-hooks (one group each) → VM power → releases (detach, viewer stop,
card profile) → acquisitions (attach, audio, display, TV) → viewer start → guest actions (one
group each) → monitor input → after-hooks.
"""

from __future__ import annotations

from collections.abc import Iterable

from modeswitch.errors import ModeswitchError
from modeswitch.model import Mode, Plan, SeatState, Step
from modeswitch.parts.part import Part, PartPlan, PlanContext, Slot
from modeswitch.parts.registry import PARTS, needs_vm


def plan(actual: SeatState, target: Mode, modes: Iterable[Mode], *, entering: bool = False,
         parts: Iterable[Part] = PARTS) -> Plan:
    """Diff the observed seat against `target`. A mode already in place plans zero steps.

    Hooks and guest actions belong to entering a mode: they run when the seat changes, or when
    `entering` says the seat comes from another (or an unknown) mode, so a mode made only of
    hooks works too.

    Raises PlanError when the target cannot be reached from what is observed; nothing has
    been applied at that point.
    """
    parts = tuple(parts)
    ctx = PlanContext(target, tuple(modes), actual, needs_vm(target))
    planned = _plan_parts(ctx, (p for p in parts if not p.entering))
    if not planned.placed and not entering:
        return Plan(target.name, notes=planned.notes)
    planned += _plan_parts(ctx, (p for p in parts if p.entering))
    return Plan(target.name, _groups(planned), planned.notes)


def _plan_parts(ctx: PlanContext, parts: Iterable[Part]) -> PartPlan:
    """Every part plans, also one the target leaves out: the VM's reachability matters to a
    mode that only names pads, and each planner returns nothing for a part it has no spec for."""
    planned = PartPlan()
    for part in parts:
        planned += part.plan(ctx)
    return planned


def _groups(planned: PartPlan) -> tuple[tuple[Step, ...], ...]:
    groups: list[tuple[Step, ...]] = []
    for slot in Slot:
        steps = [step for placed_in, step in planned.placed if placed_in is slot]
        if slot.sequential:
            groups.extend((step,) for step in steps)
        elif steps:
            groups.append(tuple(steps))
    return tuple(groups)


def scoped(mode: Mode, names: frozenset[str], parts: Iterable[Part] = PARTS) -> Mode:
    """The mode limited to some parts, for reconciling after an event.

    A new audio stream must not start a VM the user shut down, so event-driven reconciliation
    plans only the parts the event is about, and never runs hooks or guest actions. A part may
    relax its spec for that (every USB rule optional: after an unplug the stale hostdev must go
    even though the pad a rule names is missing)."""
    kept = {}
    for part in parts:
        spec = mode.spec(part.name)
        if part.name in names and not part.entering and spec is not None:
            kept[part.name] = part.scoped(spec) if part.scoped is not None else spec
    return Mode(mode.name, mode.source, **kept)


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
