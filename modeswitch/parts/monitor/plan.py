"""Monitor planning: whether the monitor's input (DDC/CI VCP 0x60) must change. Pure.

A monitor that was found but did not answer is usually showing another computer already (it
then often stops answering on this cable): that is a note, not a refused switch, since the
rest of the mode can still apply and the user can press the monitor's input button. A monitor
that matches nothing is a configuration error and refuses the switch before anything runs.
The undo is a best effort for the same reason, and its description says so.
"""

from __future__ import annotations

from modeswitch.errors import PlanError
from modeswitch.model import Step, StepKind
from modeswitch.parts.monitor.spec import MONITOR_INPUTS, MonitorObservation, MonitorSpec
from modeswitch.parts.part import PartPlan, PlanContext, Slot

_TRAP = "a monitor showing another computer may not answer this one over DDC/CI"


def plan_monitor(wanted: MonitorSpec | None, seen: MonitorObservation | None) -> tuple[list[Step], list[str]]:
    """(steps, notes)."""
    if wanted is None:
        return [], []
    if seen is None or seen.bus is None:
        raise PlanError(seen.error if seen is not None and seen.error else "the monitor is not set up",
                        "check monitor: model/serial/bus against what is seen")
    if seen.input is None:
        return [], [f"monitor input not switched: {seen.error}; use its input button ({_TRAP})"]
    if seen.input == wanted.input:
        return [], []
    undo = Step.make(StepKind.MONITOR, "monitor", f"monitor input back to {_name(seen.input)} (best effort: {_TRAP})",
                     {"bus": seen.bus, "input": seen.input})
    step = Step.make(StepKind.MONITOR, "monitor", f"monitor {seen.name} input to {_name(wanted.input)}",
                     {"bus": seen.bus, "input": wanted.input}, undo)
    return [step], []


_NAMES = {code: name for name, code in MONITOR_INPUTS.items()}


def _name(code: int) -> str:
    return _NAMES.get(code, f"0x{code:02x}")


def plan_monitor_part(ctx: PlanContext) -> PartPlan:
    steps, notes = plan_monitor(ctx.target.monitor, ctx.state.monitor)
    return PartPlan.at(Slot.LAST, steps, notes)
