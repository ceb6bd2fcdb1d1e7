"""The libvirt backend against real libvirt + QEMU: an embedded disk-less VM under TCG.

Emulated USB keyboards stand in for pads; they go through the same observe/attach/detach
code as hostdevs, only the XML differs (and every hostdev XML is checked by libvirt below).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import libvirt
import pytest
from evdev import ecodes
from libvirt_fixtures import (
    PADS,
    USB_PORTS,
    Events,
    RecordedHeldKeys,
    attach,
    detach,
    give_input,
    held_idents,
    make_backend,
    vm,  # noqa: F401  (module fixture)
)
from support.loop import run

from modeswitch.core.plan import plan
from modeswitch.errors import BackendError, PlanError
from modeswitch.model import Mode, SeatState, Step, StepKind
from modeswitch.parts.usb.spec import UsbMatch
from modeswitch.parts.usb.sysfs import SysfsUsbInventory
from modeswitch.parts.vm.backend import LibvirtBackend
from modeswitch.parts.vm.connection import VmEvent
from modeswitch.parts.vm.domain_xml import HostdevXml, parse_usb
from modeswitch.parts.vm.spec import VmPower
from modeswitch.sandbox.embedded_vm import EmbeddedVm, domain_xml, stand_in_pads
from modeswitch.sandbox.stand_in_usb import StandInXml, write_usb_tree

SYSFS_HOST = Path(__file__).resolve().parent.parent / "fixtures" / "sysfs" / "host"
TV = Mode("tv", vm=VmPower.RUNNING, usb=(UsbMatch("pads", kind="gamepad"),))
DESK = Mode("desk", vm=VmPower.RUNNING, usb=())


def power(kind: StepKind, domain: str) -> Step:
    return Step.make(kind, domain, f"{kind} {domain}")


def transition(backend: LibvirtBackend, mode: Mode, host: SysfsUsbInventory) -> list[Step]:
    """What the engine does with the VM part of a plan: observe, plan, apply in order."""
    state = SeatState(vm=run(backend.observe()), usb=host.scan())
    steps = list(plan(state, mode, (TV, DESK)).steps)
    for step in steps:
        run(backend.apply(step))
    return steps


@pytest.fixture
def backend(vm: EmbeddedVm) -> LibvirtBackend:  # noqa: F811
    """A backend on a running VM that holds no device, closed after the test."""
    created = make_backend(vm)
    run(created.apply(power(StepKind.VM_START, vm.domain)))
    for device in vm.inventory().scan():
        run(created.apply(detach(device)))
    yield created
    run(created.close())


def test_start_and_resume_through_the_backend(vm: EmbeddedVm) -> None:  # noqa: F811
    events = Events()
    backend = make_backend(vm, events)
    try:
        if run(backend.observe()).state == "running":
            run(vm.stop())
        assert run(backend.observe()).state == "shutoff"
        run(backend.apply(power(StepKind.VM_START, vm.domain)))
        assert run(backend.observe()).state == "running"
        run(events.wait(VmEvent.STARTED))
        run(backend.apply(power(StepKind.VM_START, vm.domain)))  # running already: no-op
        run(vm.pause())
        assert run(backend.observe()).state == "paused"
        run(backend.apply(power(StepKind.VM_RESUME, vm.domain)))
        assert run(backend.observe()).state == "running"
    finally:
        run(backend.close())


def test_lifecycle_events_reach_the_callback(vm: EmbeddedVm) -> None:  # noqa: F811
    events = Events()
    backend = make_backend(vm, events)
    try:
        run(backend.apply(power(StepKind.VM_START, vm.domain)))
        mark = len(events.seen)
        run(vm.pause())
        run(events.wait(VmEvent.PAUSED, mark))
        run(backend.apply(power(StepKind.VM_RESUME, vm.domain)))
        run(events.wait(VmEvent.RESUMED, mark))
        run(vm.stop())
        run(events.wait(VmEvent.STOPPED, mark))
        run(vm.start())
        run(events.wait(VmEvent.STARTED, mark))
        assert events.seen[mark:mark + 3] == [VmEvent.PAUSED, VmEvent.RESUMED, VmEvent.STOPPED]
    finally:
        run(backend.close())


def test_stand_ins_attach_and_detach_live_and_idempotently(vm: EmbeddedVm, backend: LibvirtBackend) -> None:  # noqa: F811
    pads = vm.inventory().scan()[:2]
    for pad in pads:
        run(backend.apply(attach(pad)))
        run(backend.apply(attach(pad)))  # attached already: no-op, not "non unique alias"
    assert held_idents(backend) == [(p.vendor, p.product, p.bus, p.device) for p in pads]
    assert all(u.alias and u.alias.startswith("ua-modeswitch-usb-") for u in run(backend.observe()).usb)
    for pad in pads:
        run(backend.apply(detach(pad)))
        run(backend.apply(detach(pad)))  # gone already: no-op
    assert held_idents(backend) == []


def test_desk_tv_desk_through_the_planner(vm: EmbeddedVm, backend: LibvirtBackend, tmp_path: Path) -> None:  # noqa: F811
    host = SysfsUsbInventory(write_usb_tree(tmp_path, stand_in_pads(USB_PORTS)))
    backend_on_host = LibvirtBackend(vm.uri, vm.domain, host, usb_xml=StandInXml())
    run(backend_on_host.connect())
    try:
        assert len(transition(backend_on_host, TV, host)) == USB_PORTS
        assert len(held_idents(backend_on_host)) == USB_PORTS
        assert transition(backend_on_host, TV, host) == []  # in place: zero steps
        transition(backend_on_host, DESK, host)
        assert held_idents(backend_on_host) == []
    finally:
        run(backend_on_host.close())


def test_recreated_backend_reads_state_back_and_drops_stale_pads(
        vm: EmbeddedVm, backend: LibvirtBackend, tmp_path: Path) -> None:  # noqa: F811
    first, second = vm.inventory().scan()[:2]
    run(backend.apply(attach(first)))
    run(backend.apply(attach(second)))
    run(backend.close())
    # a new daemon, and meanwhile the second pad was unplugged: only the first is on the host
    host = SysfsUsbInventory(write_usb_tree(tmp_path, stand_in_pads(1)))
    fresh = LibvirtBackend(vm.uri, vm.domain, host, usb_xml=StandInXml())
    run(fresh.connect())
    try:
        assert held_idents(fresh) == sorted((p.vendor, p.product, p.bus, p.device) for p in (first, second))
        steps = transition(fresh, TV, host)
        assert [s.kind for s in steps] == [StepKind.USB_DETACH]
        assert held_idents(fresh) == [(first.vendor, first.product, first.bus, first.device)]
    finally:
        run(fresh.close())


def test_nth_attach_refused_and_the_applied_ones_undone(vm: EmbeddedVm, backend: LibvirtBackend) -> None:  # noqa: F811
    steps = [attach(pad) for pad in vm.inventory().scan()]
    assert len(steps) == PADS > USB_PORTS
    applied = []
    with pytest.raises(BackendError, match="No free USB ports"):
        for step in steps:
            run(backend.apply(step))
            applied.append(step)
    assert len(applied) == USB_PORTS
    for step in reversed(applied):  # the engine's rollback: each step's undo, in reverse
        assert step.undo is not None
        run(backend.apply(step.undo))
    assert held_idents(backend) == []


def test_attaching_a_pad_the_host_does_not_have_names_the_present_ones(
        vm: EmbeddedVm, backend: LibvirtBackend) -> None:  # noqa: F811
    args = {"vendor": 0x054C, "product": 0x0CE6, "bus": 3, "device": 9, "label": "DualSense"}
    step = Step.make(StepKind.USB_ATTACH, "054c:0ce6", "attach DualSense", args)
    with pytest.raises(BackendError, match="not present") as caught:
        run(backend.apply(step))
    assert "stand-in pad 1" in str(caught.value)


def test_every_generated_hostdev_is_accepted_by_libvirt(vm: EmbeddedVm) -> None:  # noqa: F811
    """On a defined (never started) domain of its own, with a full-size USB controller."""
    conn = libvirt.open(vm.uri)
    dom = conn.defineXML(domain_xml("modeswitch-config-check", shutil.which("qemu-system-x86_64") or "qemu", 8))
    try:
        devices = SysfsUsbInventory(SYSFS_HOST).scan()
        xmls = [HostdevXml().usb_xml(d.vendor, d.product, d.bus, d.device) for d in devices]
        for xml in xmls:
            dom.attachDeviceFlags(xml, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        stored = parse_usb(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE))
        assert sorted((u.vendor, u.product, u.bus, u.device) for u in stored) == \
            sorted((d.vendor, d.product, d.bus, d.device) for d in devices)
        for held in stored:  # detach with what libvirt stored, as the backend does live
            dom.detachDeviceFlags(held.xml, libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        assert parse_usb(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)) == ()
    finally:
        dom.undefine()
        conn.close()


def test_qemu_refusing_a_non_evdev_node_is_a_clean_error(vm: EmbeddedVm) -> None:  # noqa: F811
    backend = make_backend(vm, held_keys=RecordedHeldKeys())
    try:
        run(backend.apply(power(StepKind.VM_START, vm.domain)))
        with pytest.raises(BackendError, match=r"input /dev/null: .*is not an evdev device"):
            run(backend.apply(give_input("/dev/null")))
        assert run(backend.observe()).inputs == ()
    finally:
        run(backend.close())


def test_a_held_key_blocks_the_grab(vm: EmbeddedVm) -> None:  # noqa: F811
    keys = RecordedHeldKeys([{ecodes.KEY_LEFTCTRL}])
    backend = make_backend(vm, held_keys=keys, key_timeout=0.2)
    try:
        run(backend.apply(power(StepKind.VM_START, vm.domain)))
        with pytest.raises(BackendError, match=r"keys still held \(KEY_LEFTCTRL\)"):
            run(backend.apply(give_input("/dev/null")))
        assert keys.calls > 1
    finally:
        run(backend.close())


def test_a_released_key_lets_the_grab_go_ahead(vm: EmbeddedVm) -> None:  # noqa: F811
    keys = RecordedHeldKeys([{ecodes.KEY_LEFTCTRL}, {ecodes.KEY_LEFTCTRL}, set()])
    backend = make_backend(vm, held_keys=keys)
    try:
        run(backend.apply(power(StepKind.VM_START, vm.domain)))
        with pytest.raises(BackendError, match="is not an evdev device"):  # past the wait: QEMU was asked
            run(backend.apply(give_input("/dev/null")))
        assert keys.calls == 3
    finally:
        run(backend.close())


def test_undefined_domain_lists_the_defined_ones(vm: EmbeddedVm) -> None:  # noqa: F811
    backend = LibvirtBackend(vm.uri, "win11", vm.inventory())
    run(backend.connect())
    try:
        observation = run(backend.observe())
        assert observation.error is not None and "'win11' is not defined" in observation.error
        assert "defined domains: modeswitch-test" in observation.error
        with pytest.raises(PlanError, match="not defined"):
            plan(SeatState(vm=observation, usb=vm.inventory().scan()), TV, (TV,))
        with pytest.raises(BackendError, match="defined domains: modeswitch-test"):
            run(backend.apply(power(StepKind.VM_START, "win11")))
    finally:
        run(backend.close())


def test_unreachable_uri_is_one_line_with_a_hint(tmp_path: Path) -> None:
    backend = LibvirtBackend(f"qemu+unix:///system?socket={tmp_path}/absent.sock", "win11",
                             SysfsUsbInventory(tmp_path))
    with pytest.raises(BackendError, match="cannot reach libvirt") as caught:
        run(backend.connect())
    assert "\n" not in str(caught.value) and caught.value.hint
    run(backend.close())
