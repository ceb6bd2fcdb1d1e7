"""Planning for the VM's power: start or resume it when a mode wants it running. Pure."""

from __future__ import annotations

from modeswitch.errors import PlanError
from modeswitch.model import Mode, Step, StepKind
from modeswitch.parts.part import NOTHING, PartPlan, PlanContext, Slot
from modeswitch.parts.vm.spec import VmObservation, VmPower


def plan_power(mode: Mode, vm: VmObservation) -> list[Step]:
    """Start or resume when the mode wants the VM running. A mode never stops a VM, and the
    start is kept on rollback: shutting a guest down would cost the user its session."""
    if mode.vm is not VmPower.RUNNING or vm.state == "running":
        return []
    if vm.state == "paused":
        return [Step.make(StepKind.VM_RESUME, vm.domain, f"resume VM {vm.domain}")]
    return [Step.make(StepKind.VM_START, vm.domain, f"start VM {vm.domain}")]


def reachable(vm: VmObservation | None) -> VmObservation | None:
    """The observed VM when libvirt answered for it, else None."""
    if vm is None or not vm.connected or vm.error:
        return None
    return vm


def will_run(mode: Mode, vm: VmObservation) -> bool:
    """Devices only move in and out of a running VM: one that runs, or that this plan starts."""
    return vm.state == "running" or bool(plan_power(mode, vm))


def plan_vm(ctx: PlanContext) -> PartPlan:
    vm = reachable(ctx.state.vm)
    if vm is None:
        if ctx.needs_vm:  # e.g. domain not defined: fail before anything is applied
            seen = ctx.state.vm
            reason = seen.error if seen and seen.error else "libvirt is not connected"
            raise PlanError(f"cannot reach the VM: {reason}", "check 'modeswitch status'")
        return NOTHING
    return PartPlan.at(Slot.POWER, plan_power(ctx.target, vm))
