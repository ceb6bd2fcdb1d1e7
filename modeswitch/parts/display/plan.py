"""Display planning: which outputs a mode's `display` list still has to change. Pure.

A mode names only what it cares about (`mode`, `right_of` left out mean "any"), while an
observation is always complete, so the two are compared field by field on what the mode sets,
never with `==`: a layout already in place must plan zero steps.
"""

from __future__ import annotations

from modeswitch.errors import PlanError
from modeswitch.model import Step, StepKind
from modeswitch.observed import satisfied, unknown_outputs
from modeswitch.parts.display.spec import DisplayObservation, OutputSetting
from modeswitch.parts.part import PartPlan, PlanContext, Slot


def plan_display(wanted: tuple[OutputSetting, ...] | None, seen: DisplayObservation | None) -> list[Step]:
    """One DISPLAY step setting the whole layout, undone by restoring what was observed.

    The undo also names the output that was primary before when the mode moves "primary"
    elsewhere, since that output is usually not in the mode's list.
    """
    if not wanted or seen is None:
        return []
    missing = unknown_outputs(wanted, seen)
    if missing:
        known = ", ".join(o.output for o in seen.outputs) or "none"
        raise PlanError(f"no display output named {', '.join(missing)}", f"outputs: {known}")
    if not seen.primary_supported and any(o.primary for o in wanted):
        raise PlanError("this desktop has no primary output", "remove primary: from the display list")
    current = {o.output: o for o in seen.outputs}
    if all(satisfied(o, current[o.output]) for o in wanted):
        return []
    previous = [current[o.output] for o in wanted]
    was_primary = [o for o in seen.outputs if o.primary and o.output not in {w.output for w in wanted}]
    if any(o.primary for o in wanted):
        previous += was_primary
    undo = Step.make(StepKind.DISPLAY, "displays", "restore displays", {"outputs": tuple(previous)})
    names = ", ".join(o.output for o in wanted)
    return [Step.make(StepKind.DISPLAY, "displays", f"set displays {names}", {"outputs": wanted}, undo)]


def plan_display_part(ctx: PlanContext) -> PartPlan:
    return PartPlan.at(Slot.ACQUIRE, plan_display(ctx.target.display, ctx.state.display))
