"""Guest actions: programs run inside the VM when a mode is entered. Pure.

They run after everything on the host side (the VM runs, devices are in), one group each, in
the order the mode lists them; each undo runs in reverse on rollback. Like hooks they belong
to entering a mode, so a mode already in place plans none. A domain without the agent's
channel is refused before anything runs, with the XML to add.
"""

from __future__ import annotations

from modeswitch.errors import PlanError
from modeswitch.model import Mode, Step, StepKind
from modeswitch.parts.guest.spec import GuestAction
from modeswitch.parts.part import PartPlan, PlanContext, Slot
from modeswitch.parts.vm.spec import VmObservation

AGENT_CHANNEL_XML = ("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>")
NO_CHANNEL = "no-channel"


def plan_guest(target: Mode, vm: VmObservation | None) -> list[list[Step]]:
    """One group per action, in order. PlanError when the domain cannot have an agent."""
    if not target.guest:
        return []
    if vm is not None and vm.agent == NO_CHANNEL:
        raise PlanError(f"mode '{target.name}' has guest actions but domain '{vm.domain}' has no "
                        "org.qemu.guest_agent.0 channel",
                        f"add to its <devices> (virsh edit {vm.domain}): {AGENT_CHANNEL_XML}")
    return [[guest_step(action)] for action in target.guest]


def guest_step(action: GuestAction) -> Step:
    undo = None
    if action.undo is not None:
        undo = Step.make(StepKind.GUEST, action.undo[0], f"undo guest {' '.join(action.undo)}",
                         {"argv": action.undo, "timeout": action.timeout})
    return Step.make(StepKind.GUEST, action.argv[0], f"guest {' '.join(action.argv)}",
                     {"argv": action.argv, "timeout": action.timeout}, undo)


def plan_guest_part(ctx: PlanContext) -> PartPlan:
    return PartPlan.at(Slot.GUEST, (group[0] for group in plan_guest(ctx.target, ctx.state.vm)))
