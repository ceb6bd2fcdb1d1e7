"""Guest actions: programs run inside the VM, and hotkeys typed on its keyboard. Pure.

They run after everything on the host side (the VM runs, devices are in), one group each, in
the order the mode lists them; each undo runs in reverse on rollback. Like hooks they belong
to entering a mode, so a mode already in place plans none. A domain without the agent's
channel is refused before anything runs, with the XML to add, unless the mode only sends keys
(libvirt types those, no agent involved). An action in the user's session is refused before
anything runs when the agent already says nobody (or not that user) is logged in; when the
guest cannot be asked yet (the VM is still off), the step itself says so before it starts
anything in the guest.
"""

from __future__ import annotations

from modeswitch.errors import PlanError
from modeswitch.model import Mode, Step, StepKind
from modeswitch.parts.guest.spec import GuestAction, GuestKeys, GuestObservation, GuestSession, KeyChord
from modeswitch.parts.guest.users import NoUserSession, pick_user
from modeswitch.parts.part import PartPlan, PlanContext, Slot
from modeswitch.parts.vm.spec import VmObservation

AGENT_CHANNEL_XML = ("<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>")
NO_CHANNEL = "no-channel"
KEYS_TARGET = "keyboard"


def plan_guest(target: Mode, vm: VmObservation | None, guest: GuestObservation | None = None) -> list[list[Step]]:
    """One group per entry, in order. PlanError when an action cannot run in this guest."""
    if not target.guest:
        return []
    programs = [entry for entry in target.guest if isinstance(entry, GuestAction)]
    if programs and vm is not None and vm.agent == NO_CHANNEL:
        raise PlanError(f"mode '{target.name}' has guest actions but domain '{vm.domain}' has no "
                        "org.qemu.guest_agent.0 channel",
                        f"add to its <devices> (virsh edit {vm.domain}): {AGENT_CHANNEL_XML}")
    if guest is not None and guest.users is not None:
        for action in programs:
            if action.session is GuestSession.USER:
                try:
                    pick_user(guest.users, action.user)
                except NoUserSession as exc:
                    raise PlanError(f"mode '{target.name}': {exc.message}", exc.hint) from None
    return [[guest_step(entry) if isinstance(entry, GuestAction) else keys_step(entry)] for entry in target.guest]


def guest_step(action: GuestAction) -> Step:
    args: dict[str, object] = {"timeout": action.timeout}
    where = "guest"
    if action.session is GuestSession.USER:
        args |= {"session": action.session.value, "user": action.user}
        where = f"guest, in {action.user or 'the user'}'s session,"
    undo = None
    if action.undo is not None:
        undo = Step.make(StepKind.GUEST, action.undo[0], f"undo {where} {' '.join(action.undo)}",
                         {"argv": action.undo, **args})
    return Step.make(StepKind.GUEST, action.argv[0], f"{where} {' '.join(action.argv)}",
                     {"argv": action.argv, **args}, undo)


def keys_step(keys: GuestKeys) -> Step:
    undo = _chord_step(keys.undo, keys.hold, "undo ") if keys.undo is not None else None
    return _chord_step(keys.keys, keys.hold, "", undo)


def _chord_step(chord: KeyChord, hold: float, prefix: str, undo: Step | None = None) -> Step:
    return Step.make(StepKind.GUEST, KEYS_TARGET, f"{prefix}guest keys {'+'.join(chord.names)} (held {hold:g} s)",
                     {"keys": chord.codes, "names": chord.names, "hold": hold}, undo)


def plan_guest_part(ctx: PlanContext) -> PartPlan:
    steps = plan_guest(ctx.target, ctx.state.vm, ctx.state.get("guest"))
    return PartPlan.at(Slot.GUEST, (group[0] for group in steps))
