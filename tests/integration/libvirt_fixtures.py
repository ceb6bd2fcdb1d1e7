"""Shared pieces for the libvirt tests: one asyncio loop per process, an embedded VM per
module, step builders, an event recorder, recorded key states, and a private libvirtd.

The loop and the embedded root every libvirt test shares are tests/support/loop.py.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import libvirt
import pytest
from support.loop import run, shared_root

from modeswitch.model import Step, StepKind
from modeswitch.parts.usb.spec import UsbDevice
from modeswitch.parts.vm.backend import LibvirtBackend
from modeswitch.parts.vm.connection import VmEvent
from modeswitch.sandbox.embedded_vm import EmbeddedVm

T = TypeVar("T")
GUARD = 20.0  # seconds before a wait is declared hung; a hang guard, not a timing assertion
PADS = 4  # the module VM's host has four stand-in pads ...
USB_PORTS = 3  # ... and its xHCI controller three free ports: the fourth attach is refused






@pytest.fixture(scope="module")
def vm() -> Iterator[EmbeddedVm]:
    embedded = EmbeddedVm("modeswitch-test", pads=PADS, usb_ports=USB_PORTS, root=shared_root())
    run(embedded.__aenter__())
    try:
        yield embedded
    finally:
        run(embedded.__aexit__(None, None, None))


class Events:
    """Records VmEvents in arrival order; `wait` lets the loop run until one arrives."""

    def __init__(self) -> None:
        self.seen: list[VmEvent] = []

    def __call__(self, event: VmEvent) -> None:
        self.seen.append(event)

    async def wait(self, event: VmEvent, after: int = 0) -> None:
        deadline = time.monotonic() + GUARD
        while event not in self.seen[after:]:
            assert time.monotonic() < deadline, f"{event} never arrived; saw {self.seen}"
            await asyncio.sleep(0.01)


class RecordedHeldKeys:
    """Key states as a real keyboard reported them, one reading per call (the last repeats):
    this machine has no /dev/input, so the readings stand in for EVIOCGKEY answers."""

    def __init__(self, readings: Sequence[set[int]] = (set(),)) -> None:
        self.readings = list(readings)
        self.calls = 0

    def held_keys(self, path: str) -> set[int]:
        self.calls += 1
        return self.readings[min(self.calls, len(self.readings)) - 1]


def make_backend(vm: EmbeddedVm, events: Events | None = None, **options: Any) -> LibvirtBackend:
    backend = vm.backend(events or Events(), **options)
    run(backend.connect())
    return backend


def usb_args(device: UsbDevice) -> dict[str, object]:
    return {"vendor": device.vendor, "product": device.product, "bus": device.bus,
            "device": device.device, "label": device.name}


def attach(device: UsbDevice) -> Step:
    undo = Step.make(StepKind.USB_DETACH, device.ident, f"detach {device.ident}", usb_args(device))
    return Step.make(StepKind.USB_ATTACH, device.ident, f"attach {device.ident}", usb_args(device), undo)


def detach(device: UsbDevice) -> Step:
    return Step.make(StepKind.USB_DETACH, device.ident, f"detach {device.ident}", usb_args(device))


def give_input(path: str) -> Step:
    args = {"path": path, "grab_all": True, "grab_toggle": "ctrl-ctrl", "repeat": True}
    return Step.make(StepKind.INPUT_ATTACH, path, f"give input {path}", args)


def held_idents(backend: LibvirtBackend) -> list[tuple[int, int, int | None, int | None]]:
    observation = run(backend.observe())
    return sorted((u.vendor, u.product, u.bus, u.device) for u in observation.usb)


class PrivateLibvirtd:
    """A session libvirtd of our own, run as the unprivileged libvirt-qemu user in a temp
    home: the one way here to get a libvirt connection that can really drop (kill it)."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="msw-lvd-"))
        self.process: subprocess.Popen[bytes] | None = None
        os.chown(self.home, *self._ids())
        # QEMU's output to a file: otherwise libvirtd spawns a virtlogd that outlives it.
        for path in (self.home / "config", self.home / "config" / "libvirt"):
            path.mkdir()
            os.chown(path, *self._ids())
        (self.home / "config" / "libvirt" / "qemu.conf").write_text('stdio_handler = "file"\n')
        self.socket = self.home / "run" / "libvirt" / "libvirt-sock"
        self.uri = f"qemu+unix:///session?socket={self.socket}"

    @staticmethod
    def _ids() -> tuple[int, int]:
        import pwd

        entry = pwd.getpwnam("libvirt-qemu")
        return entry.pw_uid, entry.pw_gid

    def start(self) -> None:
        home = str(self.home)
        env = {"HOME": home, "XDG_RUNTIME_DIR": f"{home}/run", "XDG_CONFIG_HOME": f"{home}/config",
               "XDG_CACHE_HOME": f"{home}/cache", "XDG_DATA_HOME": f"{home}/data",
               "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        uid, gid = self._ids()
        self.process = subprocess.Popen(["/usr/sbin/libvirtd", "--timeout", "0"], env=env, user=uid,
                                        group=gid, extra_groups=[], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + GUARD
        while not self._answers():
            assert self.process.poll() is None, "libvirtd exited at start"
            assert time.monotonic() < deadline, "libvirtd never answered"
            time.sleep(0.02)

    def _answers(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            libvirt.open(self.uri).close()
        except libvirt.libvirtError:
            return False
        return True

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=GUARD)
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


def running(conn: libvirt.virConnect, name: str) -> bool:
    return bool(conn.lookupByName(name).isActive())
