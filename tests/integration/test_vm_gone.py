"""A VM destroyed from outside in the middle of a switch, on a real session libvirtd.

Steps act on what the plan saw; libvirt refusing them on a VM that is gone must fail the step,
not count as "already done", and the last look must check the seat against the mode: either
way the switch fails and rolls back with the reason, and no viewer is left showing a VM that
is not there. The VM is destroyed before each step in turn, in both directions.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import libvirt
import pytest
from libvirt_fixtures import PrivateLibvirtd
from support.loop import run

from modeswitch.config.loader import Config
from modeswitch.core.history import HistoryLog
from modeswitch.core.seat import BackendSet, Seat
from modeswitch.model import Mode, Step, StepKind
from modeswitch.parts.hooks.backend import HookRunner
from modeswitch.parts.hooks.spec import Hook, Hooks
from modeswitch.parts.usb.spec import UsbMatch
from modeswitch.parts.usb.sysfs import SysfsUsbInventory
from modeswitch.parts.viewer.backend import ViewerSupervisor
from modeswitch.parts.viewer.spec import ViewerSpec
from modeswitch.parts.vm.backend import LibvirtBackend
from modeswitch.parts.vm.spec import VmPower
from modeswitch.sandbox.embedded_vm import stand_in_pads
from modeswitch.sandbox.stand_in_usb import StandInXml, write_usb_tree

VIEWER = (sys.executable, "-c", "import time; time.sleep(1e6)", "looking-glass-client stand-in")
DOMAIN = "msw-first"  # one of the shared libvirtd's disk-less domains (conftest.py)
TV = Mode("tv", vm=VmPower.RUNNING, usb=(UsbMatch("pads", kind="gamepad"),), viewer=ViewerSpec(run=False))
DESK = Mode("desk", vm=VmPower.RUNNING, usb=(), viewer=ViewerSpec(run=True, argv=VIEWER),
            hooks=Hooks(before=(Hook(("true",)),)))


class DestroyBefore:
    """Wraps a real backend: before the `at`-th step of the switch (counted across every
    backend sharing `count`) the VM is destroyed from outside, as `virsh destroy` would."""

    def __init__(self, inner: Any, count: list[int], at: int, destroy: Callable[[], None]) -> None:
        self.inner, self._count, self._at, self._destroy = inner, count, at, destroy
        self.kinds: frozenset[StepKind] = getattr(inner, "kinds", frozenset())

    async def apply(self, step: Step) -> object:
        self._count[0] += 1
        if self._count[0] == self._at:
            self._destroy()
        return await self.inner.apply(step)

    def __getattr__(self, name: str) -> Any:  # observe, close, …: whatever the real backend has
        return getattr(self.inner, name)


def viewer(tmp_path: Path) -> ViewerSupervisor:
    """The seat's Looking Glass stand-in; the rig stops it after the test."""
    return ViewerSupervisor(VIEWER, tmp_path / "viewer.pid", 1.0, stop_on_close=False, owner=str(tmp_path))


class Rig:
    """The domain on the shared libvirtd with two stand-in pads (emulated USB keyboards, whose
    host side is a sysfs tree), and the connection the test destroys it through."""

    def __init__(self, daemon: PrivateLibvirtd, conn: libvirt.virConnect, tmp_path: Path) -> None:
        self.conn, self.tmp_path = conn, tmp_path
        self.inventory = SysfsUsbInventory(write_usb_tree(tmp_path / "sysfs", stand_in_pads(2)))
        self.backend = LibvirtBackend(daemon.uri, DOMAIN, self.inventory, usb_xml=StandInXml(self.inventory))
        self.viewer = viewer(tmp_path)  # one supervisor for every seat of the test, as one daemon has

    def destroy(self) -> None:
        """Synchronously, from outside: the step after it must see the VM gone."""
        self.conn.lookupByName(DOMAIN).destroy()

    def seat(self, at: int) -> Seat:
        count = [0]
        backends = BackendSet(
            hooks=DestroyBefore(HookRunner(), count, at, self.destroy),
            usb=self.inventory,
            vm=DestroyBefore(self.backend, count, at, self.destroy),
            viewer=DestroyBefore(self.viewer, count, at, self.destroy),
        )
        config = Config(path=self.tmp_path / "config.yaml", modes={"tv": TV, "desk": DESK}, step_timeout=10.0)
        return Seat(config, backends, HistoryLog(self.tmp_path / "history.jsonl"))


@pytest.fixture
def rig(libvirtd: tuple[PrivateLibvirtd, libvirt.virConnect], tmp_path: Path) -> Any:
    daemon, conn = libvirtd
    conn.lookupByName(DOMAIN).create()
    made = Rig(daemon, conn, tmp_path)
    run(made.backend.connect())
    yield made
    run(made.viewer.stop())
    run(made.backend.close())


async def switch(seat: Seat, target: str, current: str | None) -> Any:
    """The module's connection stays open and the viewer is the one-shot CLI's kind: nothing
    to close here."""
    return await seat.switch(target, "test", current=current, state=await seat.observe())


def into(rig: Rig, mode: str) -> None:
    """Put the seat in `mode` with nothing destroyed."""
    result = run(switch(rig.seat(at=0), mode, None))
    assert result.ok, result.error


# desk from tv: before-hook, two pad detaches (one group), viewer start = 4 steps;
# tv from desk: viewer stop, two pad attaches = 3 steps
CASES = [("tv", "desk", at) for at in range(1, 5)] + [("desk", "tv", at) for at in range(1, 4)]


@pytest.mark.parametrize(("start", "target", "at"), CASES, ids=[f"{c[0]}-to-{c[1]}-step{c[2]}" for c in CASES])
def test_a_vm_destroyed_mid_switch_fails_and_rolls_back(rig: Rig, tmp_path: Path, start: str, target: str,
                                                       at: int) -> None:
    into(rig, start)
    seat = rig.seat(at)
    result = run(switch(seat, target, start))
    assert not result.ok, f"the switch to {target} reported done on a destroyed VM"
    assert result.error and result.failed_step, "a failed switch says which step and why"
    assert not rig.conn.lookupByName(DOMAIN).isActive()  # a rollback never starts the VM again
    # rolled back: Looking Glass runs only if it ran before (the daemon then stops it on the
    # VM's stop event); it is never started on the VM that is gone
    assert run(rig.viewer.observe()).running is (start == "desk")
    record = seat.history.tail(1)[-1]
    assert record["ok"] is False and record["error"] == result.error
