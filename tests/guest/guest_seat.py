"""What the seat promises, checked from inside the guest: after `tv` its kernel lists each
stand-in pad with an input node, after `desk` they are gone, and a switch that failed and
rolled back leaves the guest seeing exactly what it saw before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import GUEST_PADS, BootedGuest
from support.loop import run

from modeswitch.config.loader import Config
from modeswitch.core.history import HistoryLog
from modeswitch.core.seat import BackendSet, Seat
from modeswitch.model import Mode
from modeswitch.parts.hooks.backend import HookRunner
from modeswitch.parts.hooks.spec import Hook, Hooks
from modeswitch.parts.usb.spec import UsbMatch
from modeswitch.parts.vm.spec import VmPower
from modeswitch.sandbox.guest_view import GuestUsb, complete, settled_guest_usb

TV = Mode("tv", vm=VmPower.RUNNING, usb=(UsbMatch("pads", kind="gamepad"),))
DESK = Mode("desk", vm=VmPower.RUNNING, usb=())
FAILING_DESK = Mode("desk", vm=VmPower.RUNNING, usb=(), hooks=Hooks(after=(Hook(("false",)),)))
USB_KEYBOARD = (0x0627, 0x0001)  # QEMU's usb-kbd, the stand-in pads' device in the guest


@pytest.fixture
def seat(booted_guest: BootedGuest, tmp_path: Path) -> Iterator[Seat]:
    """A seat on the shared guest VM; it leaves the VM holding no stand-in."""
    backends = BackendSet(hooks=HookRunner(), vm=booted_guest.backend, usb=booted_guest.vm.inventory())
    made = Seat(_config(tmp_path, TV, DESK), backends, HistoryLog(tmp_path / "history.jsonl"))
    try:
        yield made
    finally:
        run(_switch(made, "desk"))
        run(settled_guest_usb(booted_guest.agent, complete(0)))


def _config(tmp_path: Path, *modes: Mode) -> Config:
    return Config(path=tmp_path / "config.yaml", modes={m.name: m for m in modes}, step_timeout=30.0)


async def _switch(seat: Seat, name: str) -> bool:
    result = await seat.switch(name, "test", state=await seat.observe())
    return result.ok


def _attached_ports(seat: Seat) -> list[int]:
    """The xHCI ports libvirt put our stand-ins on, from the live domain XML."""
    import xml.etree.ElementTree as ET

    observation = run(seat.observe())
    assert observation.vm is not None
    ports = []
    for usb in observation.vm.usb:
        address = ET.fromstring(usb.xml).find("address")
        assert address is not None and address.get("type") == "usb"
        ports.append(int(str(address.get("port"))))
    return sorted(ports)


def _keyboards(devices: tuple[GuestUsb, ...]) -> list[GuestUsb]:
    return [d for d in devices if (d.vendor, d.product) == USB_KEYBOARD]


def test_tv_puts_each_pad_on_the_guest_bus_with_an_input_node(seat: Seat, booted_guest: BootedGuest) -> None:
    assert run(_switch(seat, "tv"))
    seen = run(settled_guest_usb(booted_guest.agent, complete(GUEST_PADS)))
    pads = _keyboards(seen)
    assert len(pads) == GUEST_PADS == len(seen)
    assert sorted(p.port for p in pads) == _attached_ports(seat)  # each pad on the port libvirt chose
    for pad in pads:
        assert pad.nodes and not pad.missing_nodes, pad
        node = f"/dev/input/{pad.nodes[0]}"
        assert run(booted_guest.agent.run(["test", "-c", node], 30)).exit_code == 0


def test_desk_takes_them_out_of_the_guest(seat: Seat, booted_guest: BootedGuest) -> None:
    assert run(_switch(seat, "tv"))
    run(settled_guest_usb(booted_guest.agent, complete(GUEST_PADS)))
    assert run(_switch(seat, "desk"))
    assert run(settled_guest_usb(booted_guest.agent, complete(0))) == ()
    nodes = run(booted_guest.agent.run(["ls", "/sys/class/input"], 30)).stdout.split()
    assert not [n for n in nodes if n.startswith("event") and _is_usb(booted_guest, n)]


def _is_usb(booted_guest: BootedGuest, node: str) -> bool:
    done = run(booted_guest.agent.run(["readlink", "-f", f"/sys/class/input/{node}"], 30))
    return "/usb" in done.stdout


def test_a_rolled_back_switch_leaves_the_guest_seeing_what_it_saw(
    seat: Seat, booted_guest: BootedGuest, tmp_path: Path,
) -> None:
    assert run(_switch(seat, "tv"))
    before = run(settled_guest_usb(booted_guest.agent, complete(GUEST_PADS)))
    assert len(before) == GUEST_PADS
    failing = Seat(_config(tmp_path, TV, FAILING_DESK), seat.backends, seat.history)
    result = run(failing.switch("desk", "test", state=run(failing.observe())))
    assert not result.ok and result.failed_step == "after-hook false"
    assert [r.step.kind.value for r in result.undone] == ["usb.attach", "usb.attach"]
    after = run(settled_guest_usb(booted_guest.agent, lambda now: now == before))
    assert after == before
