"""Display planning: which outputs a mode's `display` list still has to change. Pure.

A mode names only what it cares about (`mode`, `right_of` left out mean "any"), while an
observation is always complete, so the two are compared field by field on what the mode sets,
never with `==`: a layout already in place must plan zero steps.
"""

from __future__ import annotations

from collections.abc import Iterable

from modeswitch.errors import PlanError
from modeswitch.model import DisplayObservation, OutputSetting, Step, StepKind


def satisfied(wanted: OutputSetting, seen: OutputSetting | None) -> bool:
    """Whether the observed output already is as the mode wants it.

    `primary: false` cannot be told apart from an unset `primary` in a mode, and X has no way
    to make an output "not primary" short of making another one primary, so only a wanted
    primary is checked. A disabled output's mode and position do not matter.
    """
    if seen is None:
        return False
    if not wanted.enabled:
        return not seen.enabled
    return (
        seen.enabled
        and (wanted.mode is None or wanted.mode == seen.mode)
        and (wanted.right_of is None or wanted.right_of == seen.right_of)
        and (not wanted.primary or seen.primary)
    )


def unknown_outputs(wanted: Iterable[OutputSetting], seen: DisplayObservation) -> list[str]:
    """Names a layout refers to (as an output or as `right_of`) that the X server lacks.

    xrandr only warns about an unknown output and then applies the rest, so a typo must be
    caught before anything runs.
    """
    known = {o.output for o in seen.outputs}
    named = [name for o in wanted for name in (o.output, o.right_of) if name is not None]
    return sorted({name for name in named if name not in known})


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
