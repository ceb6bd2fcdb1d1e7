"""The VM planner as tables: observed VM × host USB × mode → steps."""

from __future__ import annotations

import pytest

from modeswitch.errors import PlanError
from modeswitch.model import Mode, SeatState, Step, StepKind
from modeswitch.parts.inputs.plan import plan_inputs_part
from modeswitch.parts.inputs.spec import EvdevInput
from modeswitch.parts.part import PlanContext, Slot
from modeswitch.parts.registry import needs_vm
from modeswitch.parts.usb.plan import plan_usb_part
from modeswitch.parts.usb.spec import UsbDevice, UsbMatch
from modeswitch.parts.vm.domain_xml import usb_alias
from modeswitch.parts.vm.plan import plan_vm
from modeswitch.parts.vm.spec import AttachedInput, AttachedUsb, VmObservation, VmPower

PAD_A = UsbDevice(0x045E, 0x028E, 1, 7, "1-3", None, "Controller", "gamepad")
PAD_B = UsbDevice(0x045E, 0x028E, 1, 8, "1-4", None, "Controller", "gamepad")
SENSE = UsbDevice(0x054C, 0x0CE6, 1, 10, "1-5.2", None, "DualSense", "gamepad")
KBD_USB = UsbDevice(0x046D, 0xC31C, 1, 3, "1-1", None, "USB Keyboard", None)
KBD = "/dev/input/by-id/kbd-event-kbd"

TV = Mode("tv", vm=VmPower.RUNNING, usb=(UsbMatch("pads", kind="gamepad"),), inputs=())
DESK = Mode("desk", vm=VmPower.RUNNING, usb=(), inputs=(EvdevInput(KBD),))
X360 = Mode("x360", vm=VmPower.RUNNING, usb=(UsbMatch("x360", vendor=0x045E, product=0x028E),))
NAMED = Mode("named", usb=(UsbMatch("sense", vendor=0x054C, product=0x0CE6),))
IDLE = Mode("idle")
MODES = (TV, DESK, X360, NAMED, IDLE)


def held(dev: UsbDevice, ours: bool = True) -> AttachedUsb:
    alias = usb_alias(dev.vendor, dev.product, dev.bus, dev.device) if ours else "hostdev0"
    return AttachedUsb(dev.vendor, dev.product, dev.bus, dev.device, f"<hostdev {alias}/>", alias)


def vm(state: str = "running", usb: tuple[AttachedUsb, ...] = (), inputs: tuple[str, ...] = (),
       error: str | None = None) -> VmObservation:
    return VmObservation("win11", True, state, usb, tuple(AttachedInput(p, "h") for p in inputs), error)


def planned(mode: Mode, state: SeatState) -> tuple[list[Step], list[Step], list[Step]]:
    ctx = PlanContext(mode, MODES, state, needs_vm(mode))
    placed = (plan_vm(ctx) + plan_usb_part(ctx) + plan_inputs_part(ctx)).placed
    power, release, acquire = ([s for slot, s in placed if slot is wanted]
                               for wanted in (Slot.POWER, Slot.RELEASE, Slot.ACQUIRE))
    return power, release, acquire


def summary(mode: Mode, obs: VmObservation, host: tuple[UsbDevice, ...]) -> list[list[str]]:
    """The vm, usb and inputs rows together, as [power, releases, acquisitions]."""
    ctx = PlanContext(mode, MODES, SeatState(vm=obs, usb=host), needs_vm(mode))
    planned = plan_vm(ctx) + plan_usb_part(ctx) + plan_inputs_part(ctx)
    return [[f"{s.kind.value} {s.target}" for slot, s in planned.placed if slot is wanted]
            for wanted in (Slot.POWER, Slot.RELEASE, Slot.ACQUIRE)]


HOST = (KBD_USB, PAD_A, PAD_B, SENSE)
CASES = [
    # (mode, observed VM, host devices, expected [power, release, acquire])
    ("desk→tv: every pad in, keyboard out", TV, vm(inputs=(KBD,)), HOST,
     [[], [f"input.detach {KBD}"],
      ["usb.attach 045e:028e@001.007", "usb.attach 045e:028e@001.008", "usb.attach 054c:0ce6@001.010"]]),
    ("tv→desk: pads out, keyboard in", DESK, vm(usb=(held(PAD_A), held(SENSE))), HOST,
     [[], ["usb.detach 045e:028e@001.007", "usb.detach 054c:0ce6@001.010"], [f"input.attach {KBD}"]]),
    ("tv again: nothing to do", TV, vm(usb=(held(PAD_A), held(PAD_B), held(SENSE))), HOST, [[], [], []]),
    ("shut off VM: start first, then attach", TV, vm("shutoff"), (PAD_A,),
     [["vm.start win11"], [], ["usb.attach 045e:028e@001.007"]]),
    ("paused VM: resume", DESK, vm("paused", inputs=(KBD,)), (), [["vm.resume win11"], [], []]),
    ("replugged pad: stale address out, new address in", X360, vm(usb=(held(PAD_A),)), (PAD_B,),
     [[], ["usb.detach 045e:028e@001.007"], ["usb.attach 045e:028e@001.008"]]),
    ("unplugged kind-only pad of ours is detached", TV, vm(usb=(held(SENSE),)), (PAD_A,),
     [[], ["usb.detach 054c:0ce6@001.010"], ["usb.attach 045e:028e@001.007"]]),
    ("user's own hostdev no mode names is left alone", DESK,
     vm(usb=(AttachedUsb(0x046D, 0xC52B, None, None, "<hostdev/>", "hostdev0"),), inputs=(KBD,)), HOST,
     [[], [], []]),
    ("mode without vm/usb/inputs touches nothing", IDLE, vm("shutoff"), HOST, [[], [], []]),
    ("devices wait for a VM a mode does not start", NAMED, vm("shutoff"), HOST, [[], [], []]),
]


@pytest.mark.parametrize(("mode", "obs", "host", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_plan_vm_table(mode: Mode, obs: VmObservation, host: tuple[UsbDevice, ...],
                       expected: list[list[str]]) -> None:
    assert summary(mode, obs, host) == expected


def test_every_attach_carries_its_detach_as_undo() -> None:
    _, _, attach = planned(TV, SeatState(vm=vm(), usb=HOST))
    assert all(s.undo is not None and s.undo.kind is StepKind.USB_DETACH for s in attach)
    assert all(dict(s.args) == dict(s.undo.args) for s in attach if s.undo)


def test_identical_pads_carry_their_own_addresses() -> None:
    _, _, attach = planned(X360, SeatState(vm=vm(), usb=(PAD_A, PAD_B)))
    assert [(s.args["bus"], s.args["device"]) for s in attach] == [(1, 7), (1, 8)]


@pytest.mark.parametrize("obs", [
    VmObservation("win11", False, "unknown", error="connection refused"),
    vm("unknown", error="domain 'win11' is not defined (defined domains: other)"),
])
def test_unreachable_or_undefined_vm_is_a_plan_error(obs: VmObservation) -> None:
    with pytest.raises(PlanError, match="cannot reach the VM"):
        planned(TV, SeatState(vm=obs, usb=HOST))


def test_missing_named_device_lists_what_is_present() -> None:
    with pytest.raises(PlanError, match="not present") as caught:
        planned(NAMED, SeatState(vm=vm(), usb=(PAD_A,)))
    assert "045e:028e" in str(caught.value)
