"""Table tests for planner.plan: observed seat x target mode -> grouped steps, each with its undo."""

from __future__ import annotations

from dataclasses import replace

import pytest

from modeswitch.core.plan import matching_modes, plan, scoped
from modeswitch.errors import PlanError
from modeswitch.model import Mode, Plan, SeatState, Step, StepKind
from modeswitch.parts.display.spec import DisplayObservation, OutputSetting
from modeswitch.parts.hooks.spec import Hook, Hooks
from modeswitch.parts.inputs.spec import EvdevInput
from modeswitch.parts.usb.spec import UsbDevice, UsbMatch
from modeswitch.parts.viewer.spec import ViewerObservation, ViewerSpec
from modeswitch.parts.vm.spec import AttachedInput, AttachedUsb, VmObservation, VmPower

VIEWER_ARGV = ("sleep", "1000")
RUNNING = ViewerObservation(running=True, pid=4242)
STOPPED = ViewerObservation(running=False)

DESK = Mode("desk", viewer=ViewerSpec(run=True, argv=VIEWER_ARGV))
TV = Mode("tv", viewer=ViewerSpec(run=False))
PLAIN = (DESK, TV)


def shape(result: Plan) -> list[list[tuple[str, str]]]:
    """The plan as groups of (kind, target), which is what the engine runs."""
    return [[(step.kind.value, step.target) for step in group] for group in result.groups]


def only_step(result: Plan) -> Step:
    assert len(result.steps) == 1, shape(result)
    return result.steps[0]


# --- viewer ---------------------------------------------------------------------------------

def test_viewer_start_when_wanted_and_not_running() -> None:
    step = only_step(plan(SeatState(viewer=STOPPED), DESK, PLAIN))
    assert (step.kind, step.target, step.args["argv"]) == (StepKind.VIEWER_START, "looking-glass", VIEWER_ARGV)
    assert step.undo is not None and step.undo.kind is StepKind.VIEWER_STOP


def test_viewer_start_when_it_could_not_be_observed() -> None:
    assert shape(plan(SeatState(viewer=None), DESK, PLAIN)) == [[("viewer.start", "looking-glass")]]


def test_viewer_stop_when_not_wanted_and_running() -> None:
    step = only_step(plan(SeatState(viewer=RUNNING), TV, PLAIN))
    assert step.kind is StepKind.VIEWER_STOP
    assert step.undo is not None and step.undo.kind is StepKind.VIEWER_START
    assert step.undo.args["argv"] is None  # restart with whatever the supervisor ran last


@pytest.mark.parametrize(("viewer", "mode"), [(RUNNING, DESK), (STOPPED, TV), (None, TV),
                                              (RUNNING, Mode("quiet")), (STOPPED, Mode("quiet"))])
def test_viewer_already_in_place_or_not_managed(viewer: ViewerObservation | None, mode: Mode) -> None:
    assert plan(SeatState(viewer=viewer), mode, PLAIN).empty


# --- hooks ------------------------------------------------------------------------------------

HOOKED = DESK.updated(hooks=Hooks(
    before=(Hook(("touch", "/tmp/b1"), 5.0, ("rm", "/tmp/b1")), Hook(("b2",), 2.5)),
    after=(Hook(("a1", "x")), Hook(("a2",), undo=("un-a2",))),
))


def test_hooks_wrap_the_changes_in_order() -> None:
    result = plan(SeatState(viewer=STOPPED), HOOKED, PLAIN)
    assert shape(result) == [[("hook", "touch")], [("hook", "b2")], [("viewer.start", "looking-glass")],
                             [("hook", "a1")], [("hook", "a2")]]
    first = result.groups[0][0]
    assert first.args["argv"] == ("touch", "/tmp/b1") and first.args["timeout"] == 5.0
    assert first.undo is not None and first.undo.kind is StepKind.HOOK
    assert first.undo.args["argv"] == ("rm", "/tmp/b1")
    assert result.groups[1][0].undo is None
    assert result.groups[4][0].undo is not None and result.groups[4][0].undo.args["argv"] == ("un-a2",)
    assert [s.description for s in result.steps if s.kind is StepKind.HOOK] == [
        "before-hook touch /tmp/b1", "before-hook b2", "after-hook a1 x", "after-hook a2"]


def test_hooks_do_not_run_when_nothing_changes() -> None:
    assert plan(SeatState(viewer=RUNNING), HOOKED, PLAIN).empty


def test_hooks_run_on_entering_a_mode_even_when_nothing_else_changes() -> None:
    result = plan(SeatState(viewer=RUNNING), HOOKED, PLAIN, entering=True)
    assert shape(result) == [[("hook", "touch")], [("hook", "b2")], [("hook", "a1")], [("hook", "a2")]]
    assert plan(SeatState(viewer=RUNNING), DESK, PLAIN, entering=True).empty  # no hooks, nothing to do


# --- display ----------------------------------------------------------------------------------

HDMI_ON = OutputSetting("HDMI-1", mode="1920x1080", primary=True)
DP_ON = OutputSetting("DP-1", mode="2560x1440")
DP_OFF = OutputSetting("DP-1", enabled=False)
TV_DISPLAY = Mode("tv", display=(HDMI_ON, DP_OFF))


def test_display_set_with_undo_to_what_was_there() -> None:
    seen = DisplayObservation((replace(HDMI_ON, enabled=False, primary=False), DP_ON, OutputSetting("eDP-1")))
    step = only_step(plan(SeatState(display=seen), TV_DISPLAY, PLAIN))
    assert step.kind is StepKind.DISPLAY and step.args["outputs"] == (HDMI_ON, DP_OFF)
    assert step.undo is not None and step.undo.kind is StepKind.DISPLAY
    assert step.undo.args["outputs"] == (replace(HDMI_ON, enabled=False, primary=False), DP_ON)


def test_display_already_in_place() -> None:
    seen = DisplayObservation((HDMI_ON, DP_OFF, OutputSetting("eDP-1")))
    assert plan(SeatState(display=seen), TV_DISPLAY, PLAIN).empty


def test_display_not_observable_plans_nothing() -> None:
    assert plan(SeatState(display=None), TV_DISPLAY, PLAIN).empty


# --- VM, USB, inputs ----------------------------------------------------------------------------

PAD_A = UsbDevice(0x045E, 0x028E, 1, 5, "1-2", name="Xbox 360 pad", kind="gamepad")
PAD_B = UsbDevice(0x045E, 0x028E, 1, 6, "1-3", name="Xbox 360 pad", kind="gamepad")
KEYBOARD = UsbDevice(0x046D, 0xC31C, 1, 7, "1-4", name="Logitech keyboard")
WEBCAM = UsbDevice(0x046D, 0x0825, 2, 3, "2-1", name="Webcam")
HOST = (PAD_A, PAD_B, KEYBOARD, WEBCAM)

KBD_PATH = "/dev/input/by-id/usb-kbd-event-kbd"
MOUSE_PATH = "/dev/input/by-id/usb-mouse-event-mouse"

VM_TV = Mode("tv", vm=VmPower.RUNNING, usb=(UsbMatch("pads", kind="gamepad"),), inputs=())
VM_DESK = Mode("desk", vm=VmPower.RUNNING, usb=(), inputs=(EvdevInput(KBD_PATH), EvdevInput(MOUSE_PATH)))
VM_MODES = (VM_TV, VM_DESK)


def held(device: UsbDevice, alias: str | None = None) -> AttachedUsb:
    return AttachedUsb(device.vendor, device.product, device.bus, device.device, "<hostdev/>", alias)


def vm(state: str = "running", usb: tuple[AttachedUsb, ...] = (),
       inputs: tuple[AttachedInput, ...] = ()) -> VmObservation:
    return VmObservation("win11", True, state, usb, inputs)


def seat(vm_obs: VmObservation | None, host: tuple[UsbDevice, ...] = HOST) -> SeatState:
    return SeatState(vm=vm_obs, usb=host)


def test_two_identical_pads_are_both_attached() -> None:
    result = plan(seat(vm()), VM_TV, VM_MODES)
    attaches = [s for s in result.steps if s.kind is StepKind.USB_ATTACH]
    assert sorted((s.args["bus"], s.args["device"]) for s in attaches) == [(1, 5), (1, 6)]
    assert len({s.target for s in attaches}) == 2
    for step in attaches:
        assert step.undo is not None and step.undo.kind is StepKind.USB_DETACH
        assert step.undo.args["device"] == step.args["device"]
    assert all(s.kind is StepKind.USB_ATTACH for s in result.steps)


def test_pads_already_in_the_vm_plan_nothing() -> None:
    assert plan(seat(vm(usb=(held(PAD_A), held(PAD_B)))), VM_TV, VM_MODES).empty


def test_empty_usb_list_detaches_managed_pads_only() -> None:
    observed = seat(vm(usb=(held(PAD_A), held(KEYBOARD)), inputs=(AttachedInput(KBD_PATH, "kbd"),
                                                                  AttachedInput(MOUSE_PATH, "mouse"))))
    result = plan(observed, VM_DESK, VM_MODES)
    step = only_step(result)
    assert (step.kind, step.args["device"]) == (StepKind.USB_DETACH, 5)
    assert step.undo is not None and step.undo.kind is StepKind.USB_ATTACH and step.undo.args["device"] == 5


def test_a_device_no_mode_names_is_never_touched() -> None:
    observed = seat(vm(usb=(held(KEYBOARD), held(WEBCAM))))
    assert plan(observed, VM_TV, VM_MODES).steps == plan(seat(vm()), VM_TV, VM_MODES).steps
    assert plan(observed.updated(usb=(PAD_A, KEYBOARD, WEBCAM)), VM_DESK,
                VM_MODES).steps == plan(seat(vm(), (PAD_A,)), VM_DESK, VM_MODES).steps


def test_stale_hostdev_of_an_unplugged_pad_is_detached() -> None:
    named = Mode("tv", vm=VmPower.RUNNING, usb=(UsbMatch("xbox", vendor=0x045E, product=0x028E),))
    gone = AttachedUsb(0x045E, 0x028E, 1, 9, "<hostdev/>")
    result = plan(seat(vm(usb=(gone, held(PAD_A), held(PAD_B)))), named, (named, VM_DESK))
    step = only_step(result)
    assert step.kind is StepKind.USB_DETACH and step.args["device"] == 9
    assert step.undo is None  # nothing to put back: the device is gone


def test_stale_hostdev_we_attached_by_kind_is_detached() -> None:
    gone = AttachedUsb(0x2DC8, 0x3106, 1, 12, "<hostdev/>", "ua-modeswitch-usb-2dc8-3106-001-012")
    result = plan(seat(vm(usb=(gone, held(PAD_A), held(PAD_B)))), VM_TV, VM_MODES)
    step = only_step(result)
    assert step.kind is StepKind.USB_DETACH and step.args["device"] == 12


def test_a_specific_rule_matching_nothing_lists_what_is_present() -> None:
    missing = Mode("tv", vm=VmPower.RUNNING, usb=(UsbMatch("8BitDo", vendor=0x2DC8, product=0x3106),))
    with pytest.raises(PlanError) as caught:
        plan(seat(vm(), (PAD_A, KEYBOARD)), missing, (missing,))
    text = str(caught.value)
    assert "USB device '8BitDo' is not present" in text
    assert "045e:028e Xbox 360 pad (port 1-2)" in text and "046d:c31c Logitech keyboard (port 1-4)" in text


def test_serial_and_port_rules_pick_one_of_two_identical_pads() -> None:
    by_port = Mode("tv", vm=VmPower.RUNNING, usb=(UsbMatch("left", port="1-3"),))
    step = only_step(plan(seat(vm()), by_port, (by_port,)))
    assert (step.kind, step.args["device"]) == (StepKind.USB_ATTACH, 6)


@pytest.mark.parametrize("rule", [UsbMatch("pads", kind="gamepad"),
                                  UsbMatch("dongle", vendor=0x045E, product=0x02FE, optional=True)])
def test_kind_only_or_optional_rule_matching_nothing_is_fine(rule: UsbMatch) -> None:
    mode = Mode("tv", vm=VmPower.RUNNING, usb=(rule,))
    assert plan(seat(vm(), (KEYBOARD,)), mode, (mode,)).empty


def test_vm_running_starts_a_shut_off_vm_before_devices() -> None:
    result = plan(seat(vm("shutoff")), VM_TV, VM_MODES)
    assert shape(result)[0] == [("vm.start", "win11")]
    assert result.groups[0][0].undo is None  # a start is kept on rollback
    assert {s.kind for g in result.groups[1:] for s in g} == {StepKind.USB_ATTACH}


def test_vm_running_resumes_a_paused_vm() -> None:
    result = plan(seat(vm("paused", usb=(held(PAD_A), held(PAD_B)))), VM_TV, VM_MODES)
    assert shape(result) == [[("vm.resume", "win11")]]


@pytest.mark.parametrize("state", ["shutoff", "paused", "crashed"])
def test_devices_only_move_when_the_vm_runs_or_will_run(state: str) -> None:
    leave_power = VM_TV.updated(vm=VmPower.ANY)
    assert plan(seat(vm(state)), leave_power, (leave_power, VM_DESK)).empty
    no_power = VM_TV.updated(vm=None)
    assert plan(seat(vm(state)), no_power, (no_power, VM_DESK)).empty


def test_unreachable_vm_is_a_plan_error_only_when_the_mode_needs_it() -> None:
    disconnected = VmObservation("win11", False, "unknown", error="connection refused")
    with pytest.raises(PlanError, match="connection refused"):
        plan(seat(disconnected), VM_TV, VM_MODES)
    with pytest.raises(PlanError):
        plan(seat(None), VM_TV, VM_MODES)
    assert shape(plan(SeatState(vm=disconnected, viewer=STOPPED), DESK, PLAIN)) == [
        [("viewer.start", "looking-glass")]]


def test_inputs_attach_and_release() -> None:
    result = plan(seat(vm()), VM_DESK, VM_MODES)
    attaches = [s for s in result.steps if s.kind is StepKind.INPUT_ATTACH]
    assert [s.target for s in attaches] == [KBD_PATH, MOUSE_PATH]
    assert attaches[0].args["grab_toggle"] == "ctrl-ctrl"
    assert attaches[0].undo is not None and attaches[0].undo.kind is StepKind.INPUT_DETACH
    foreign = AttachedInput("/dev/input/by-id/other-event-kbd", "other")
    back = plan(seat(vm(usb=(held(PAD_A), held(PAD_B)), inputs=(AttachedInput(KBD_PATH, "k"), foreign))),
                VM_TV, VM_MODES)
    step = only_step(back)
    assert (step.kind, step.target) == (StepKind.INPUT_DETACH, KBD_PATH)
    assert step.undo is not None and step.undo.kind is StepKind.INPUT_ATTACH


def test_group_order_power_release_acquire_viewer() -> None:
    desk = VM_DESK.updated(viewer=ViewerSpec(run=True, argv=VIEWER_ARGV))
    tv = VM_TV.updated(viewer=ViewerSpec(run=False))
    observed = seat(vm("paused", usb=(held(PAD_A),))).updated(viewer=STOPPED)
    assert shape(plan(observed, desk, (desk, tv))) == [
        [("vm.resume", "win11")],
        [("usb.detach", "045e:028e@001.005")],
        [("input.attach", KBD_PATH), ("input.attach", MOUSE_PATH)],
        [("viewer.start", "looking-glass")],
    ]
    observed = seat(vm(inputs=(AttachedInput(KBD_PATH, "k"),))).updated(viewer=RUNNING)
    assert shape(plan(observed, tv, (desk, tv))) == [
        [("input.detach", KBD_PATH), ("viewer.stop", "looking-glass")],
        [("usb.attach", "045e:028e@001.005"), ("usb.attach", "045e:028e@001.006")],
    ]


# --- undo of each step ----------------------------------------------------------------------------

def test_every_step_has_an_undo_except_kept_ones() -> None:
    desk = VM_DESK.updated(viewer=ViewerSpec(run=True, argv=VIEWER_ARGV), display=(DP_ON,))
    tv = VM_TV.updated(viewer=ViewerSpec(run=False), display=(DP_OFF,),
                 hooks=Hooks(before=(Hook(("b",), undo=("ub",)),), after=(Hook(("a",), undo=("ua",)),)))
    observed = SeatState(vm=vm(inputs=(AttachedInput(KBD_PATH, "k"),)), usb=HOST, viewer=RUNNING,
                         display=DisplayObservation((DP_ON,)))
    result = plan(observed, tv, (desk, tv))
    kinds = {step.kind for step in result.steps}
    assert kinds == {StepKind.HOOK, StepKind.INPUT_DETACH, StepKind.VIEWER_STOP, StepKind.USB_ATTACH,
                     StepKind.DISPLAY}
    reverse = {StepKind.INPUT_DETACH: StepKind.INPUT_ATTACH, StepKind.VIEWER_STOP: StepKind.VIEWER_START,
               StepKind.USB_ATTACH: StepKind.USB_DETACH, StepKind.DISPLAY: StepKind.DISPLAY,
               StepKind.HOOK: StepKind.HOOK}
    for step in result.steps:
        assert step.undo is not None, step.description
        assert step.undo.kind is reverse[step.kind]


# --- already in place, scoped, matching -------------------------------------------------------------

FULL_DESK = VM_DESK.updated(viewer=ViewerSpec(run=True, argv=VIEWER_ARGV), display=(DP_ON,),
                    hooks=Hooks(before=(Hook(("b",)),)))
FULL_TV = VM_TV.updated(viewer=ViewerSpec(run=False), display=(DP_OFF,))
AT_DESK = SeatState(vm=vm(inputs=(AttachedInput(KBD_PATH, "k"), AttachedInput(MOUSE_PATH, "m"))),
                    usb=HOST, viewer=RUNNING, display=DisplayObservation((DP_ON,)))
AT_TV = SeatState(vm=vm(usb=(held(PAD_A), held(PAD_B))), usb=HOST, viewer=STOPPED,
                  display=DisplayObservation((DP_OFF,)))


def test_mode_already_in_place_plans_zero_steps() -> None:
    assert plan(AT_DESK, FULL_DESK, (FULL_DESK, FULL_TV)) == Plan("desk")
    assert plan(AT_TV, FULL_TV, (FULL_DESK, FULL_TV)).empty
    assert not plan(AT_TV, FULL_DESK, (FULL_DESK, FULL_TV)).empty


def test_scoped_plans_only_the_named_part() -> None:
    only_viewer = scoped(FULL_DESK, frozenset({"viewer"}))
    assert (only_viewer.vm, only_viewer.usb, only_viewer.inputs, only_viewer.display) == (None, None, None, None)
    assert only_viewer.hooks == Hooks()
    assert shape(plan(AT_TV, only_viewer, (FULL_DESK, FULL_TV))) == [[("viewer.start", "looking-glass")]]
    only_usb = scoped(FULL_DESK, frozenset({"usb"}))
    assert shape(plan(AT_TV, only_usb, (FULL_DESK, FULL_TV))) == [
        [("usb.detach", "045e:028e@001.005"), ("usb.detach", "045e:028e@001.006")]]
    # a scoped reconcile never starts the VM, whatever the mode says
    assert plan(AT_TV.updated(vm=vm("shutoff")), only_usb, (FULL_DESK, FULL_TV)).empty


def test_matching_modes() -> None:
    modes = (FULL_DESK, FULL_TV)
    assert matching_modes(AT_DESK, modes) == ["desk"]
    assert matching_modes(AT_TV, modes) == ["tv"]
    half = AT_TV.updated(viewer=RUNNING)
    assert matching_modes(half, modes) == []
    assert matching_modes(AT_TV.updated(vm=None), modes) == []  # a PlanError is "not in place"
    assert matching_modes(SeatState(viewer=RUNNING), PLAIN) == ["desk"]
