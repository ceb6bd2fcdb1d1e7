"""Planning for the USB devices (pads) a mode hands to the VM. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from modeswitch.errors import PlanError
from modeswitch.model import Mode, Step, StepKind
from modeswitch.observed import describe_host_usb
from modeswitch.parts.part import NOTHING, PartPlan, PlanContext, Slot
from modeswitch.parts.usb.spec import UsbDevice, UsbMatch
from modeswitch.parts.vm.plan import reachable, will_run
from modeswitch.parts.vm.spec import AttachedUsb, VmObservation


def usb_matches(rule: UsbMatch, device: UsbDevice) -> bool:
    return (
        (rule.vendor is None or rule.vendor == device.vendor)
        and (rule.product is None or rule.product == device.product)
        and (rule.serial is None or rule.serial == device.serial)
        and (rule.port is None or rule.port == device.port)
        and (rule.kind is None or rule.kind == device.kind)
    )


def wanted_usb(mode: Mode, host: tuple[UsbDevice, ...]) -> tuple[UsbDevice, ...]:
    """The host devices the mode wants in the VM; a specific rule matching none is an error."""
    wanted: dict[str, UsbDevice] = {}
    for rule in mode.usb or ():
        found = [d for d in host if usb_matches(rule, d)]
        if not found and not (rule.optional or rule.kind_only):
            raise PlanError(f"USB device '{rule.label}' is not present", describe_host_usb(host))
        wanted.update((d.ident, d) for d in found)
    return tuple(wanted.values())


def _host_for(attached: AttachedUsb, host: tuple[UsbDevice, ...]) -> UsbDevice | None:
    for device in host:
        same_id = (device.vendor, device.product) == (attached.vendor, attached.product)
        if same_id and attached.bus in (None, device.bus) and attached.device in (None, device.device):
            return device
    return None


OUR_ALIAS_PREFIX = "ua-modeswitch-"


def _managed(attached: AttachedUsb, host_device: UsbDevice | None, modes: Iterable[Mode]) -> bool:
    """modeswitch only ever touches devices some mode names, or that it attached itself
    (its alias says so): a pad matched by `kind: gamepad` and then unplugged has no host
    device left to match the rule, yet its stale hostdev must still go."""
    if (attached.alias or "").startswith(OUR_ALIAS_PREFIX):
        return True
    for mode in modes:
        for rule in mode.usb or ():
            if host_device is not None and usb_matches(rule, host_device):
                return True
            if rule.vendor == attached.vendor and rule.product in (None, attached.product):
                return True
    return False


def _usb_args(vendor: int, product: int, bus: int | None, device: int | None, label: str) -> dict[str, object]:
    return {"vendor": vendor, "product": product, "bus": bus, "device": device, "label": label}


def _usb_target(vendor: int, product: int, bus: int | None, device: int | None) -> str:
    where = f"@{bus:03d}.{device:03d}" if bus is not None and device is not None else ""
    return f"{vendor:04x}:{product:04x}{where}"


def plan_usb(
    mode: Mode, modes: Iterable[Mode], vm: VmObservation, host: tuple[UsbDevice, ...]
) -> tuple[list[Step], list[Step]]:
    """(detach steps, attach steps) that bring the VM's managed USB devices to the mode."""
    if mode.usb is None:
        return [], []
    wanted = {d.ident: d for d in wanted_usb(mode, host)}
    modes = list(modes)
    detach, held = [], set()
    for attached in vm.usb:
        device = _host_for(attached, host)
        if device is not None and device.ident in wanted:
            held.add(device.ident)
            continue
        if not _managed(attached, device, modes):
            continue
        args = _usb_args(attached.vendor, attached.product, attached.bus, attached.device,
                         device.name if device else "unplugged")
        target = _usb_target(attached.vendor, attached.product, attached.bus, attached.device)
        why = "stale: no longer on the host" if device is None else "not wanted by this mode"
        undo = None if device is None else Step.make(StepKind.USB_ATTACH, target, f"re-attach {target}", args)
        held_as = {**args, "alias": attached.alias}  # the detach acts on what was observed
        detach.append(Step.make(StepKind.USB_DETACH, target, f"detach USB {target} ({why})", held_as, undo))
    attach = []
    for ident, device in wanted.items():
        if ident in held:
            continue
        args = _usb_args(device.vendor, device.product, device.bus, device.device, device.name)
        undo = Step.make(StepKind.USB_DETACH, ident, f"detach USB {ident}", args)
        attach.append(Step.make(StepKind.USB_ATTACH, ident, f"attach USB {ident} {device.name}".rstrip(), args, undo))
    return detach, attach


def plan_usb_part(ctx: PlanContext) -> PartPlan:
    vm = reachable(ctx.state.vm)
    if vm is None or not will_run(ctx.target, vm):
        return NOTHING
    detach, attach = plan_usb(ctx.target, ctx.modes, vm, ctx.state.host_usb)
    return PartPlan.at(Slot.RELEASE, detach) + PartPlan.at(Slot.ACQUIRE, attach)


def scoped_usb(rules: tuple[UsbMatch, ...]) -> tuple[UsbMatch, ...]:
    """Reconciling after an event: every rule optional, so after an unplug the stale hostdev
    goes even though the pad a rule names is missing."""
    return tuple(replace(rule, optional=True) for rule in rules)
