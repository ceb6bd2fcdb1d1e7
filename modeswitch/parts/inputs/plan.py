"""Planning for the keyboards and mice a mode hands to the VM as evdev inputs. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from modeswitch.model import Mode, Step, StepKind
from modeswitch.parts.part import NOTHING, PartPlan, PlanContext, Slot
from modeswitch.parts.vm.plan import reachable, will_run
from modeswitch.parts.vm.spec import VmObservation


def plan_inputs(mode: Mode, modes: Iterable[Mode], vm: VmObservation) -> tuple[list[Step], list[Step]]:
    if mode.inputs is None:
        return [], []
    managed = {i.path for m in modes for i in m.inputs or ()}
    wanted = {i.path: i for i in mode.inputs}
    held = {a.path for a in vm.inputs}
    detach = []
    for attached in vm.inputs:
        if attached.path in managed and attached.path not in wanted:
            spec = next(i for m in modes for i in m.inputs or () if i.path == attached.path)
            args = _input_args(spec.path, spec.grab_all, spec.grab_toggle, spec.repeat)
            undo = Step.make(StepKind.INPUT_ATTACH, attached.path, f"re-attach input {attached.path}", args)
            detach.append(Step.make(StepKind.INPUT_DETACH, attached.path,
                                    f"release input {attached.path}", {"path": attached.path}, undo))
    attach = []
    for path, spec in wanted.items():
        if path in held:
            continue
        args = _input_args(spec.path, spec.grab_all, spec.grab_toggle, spec.repeat)
        undo = Step.make(StepKind.INPUT_DETACH, path, f"release input {path}", {"path": path})
        attach.append(Step.make(StepKind.INPUT_ATTACH, path, f"give input {path} to the VM", args, undo))
    return detach, attach


def _input_args(path: str, grab_all: bool, grab_toggle: str, repeat: bool) -> dict[str, object]:
    return {"path": path, "grab_all": grab_all, "grab_toggle": grab_toggle, "repeat": repeat}


def plan_inputs_part(ctx: PlanContext) -> PartPlan:
    vm = reachable(ctx.state.vm)
    if vm is None or not will_run(ctx.target, vm):
        return NOTHING
    detach, attach = plan_inputs(ctx.target, ctx.modes, vm)
    return PartPlan.at(Slot.RELEASE, detach) + PartPlan.at(Slot.ACQUIRE, attach)
