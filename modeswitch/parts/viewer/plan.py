"""Viewer planning: whether Looking Glass must start or stop. Pure.

Looking Glass only shows "waiting for the guest" while the VM is off, so a mode wants it only
while the VM runs (or this plan starts it); without a VM part there is nothing to ask.
"""

from __future__ import annotations

from modeswitch.model import Mode, Step, StepKind
from modeswitch.parts.part import NOTHING, PartPlan, PlanContext, Slot
from modeswitch.parts.vm.spec import VmObservation, VmPower


def plan_viewer(ctx: PlanContext) -> PartPlan:
    target = ctx.target
    if target.viewer is None:
        return NOTHING
    seen = ctx.state.viewer
    running = seen is not None and seen.running
    wanted = target.viewer.run and _vm_shows_a_picture(target, ctx.state.vm)
    start = Step.make(StepKind.VIEWER_START, "looking-glass", "start Looking Glass", {"argv": target.viewer.argv})
    stop = Step.make(StepKind.VIEWER_STOP, "looking-glass", "stop Looking Glass")
    if wanted and not running:
        return PartPlan.at(Slot.START, [Step.make(start.kind, start.target, start.description, start.args, stop)])
    if not wanted and running:
        restart = Step.make(StepKind.VIEWER_START, "looking-glass", "restart Looking Glass", {"argv": None})
        return PartPlan.at(Slot.RELEASE, [Step.make(stop.kind, stop.target, stop.description, stop.args, restart)])
    return NOTHING


def _vm_shows_a_picture(target: Mode, vm: VmObservation | None) -> bool:
    if vm is None or not vm.connected or vm.error:
        return True
    return vm.state in ("running", "paused") or target.vm is VmPower.RUNNING
