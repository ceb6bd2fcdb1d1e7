"""The usbmon pad reader on a real kernel node: inside the Python guest, on dummy_hcd.

The guest (sandbox/guest_python.py) has usbmon, dummy_hcd and the gadget framework. Its USB
gadgets are real devices on its own bus: a DualShock 4 through usb_f_hid (bound by usbhid and
hid-generic) and an Xbox 360 pad served from user space through FunctionFS (bound by xpad,
which sends its LED and rumble commands back). A "game" holds each pad's event node open, as
the drivers poll only then. The project's own reader runs in the guest on /dev/usbmonN, through
the mmapped ring and through GETX, and what it decodes comes back through the agent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pytest
from conftest import BOOT_GUARD
from support.loop import run, shared_root

from modeswitch.parts.guest.backend import LibvirtGuestAgent
from modeswitch.sandbox.embedded_vm import EmbeddedVm
from modeswitch.sandbox.gadgets import ds4_report, xpad_report
from modeswitch.sandbox.guest_python import ensure_python_guest
from modeswitch.sandbox.progress import Progress

WAIT = 90.0  # seconds: a hang guard for one step under a software CPU on a loaded machine
GADGETS = "python3 -m modeswitch.sandbox.gadgets"
READER = "python3 -m modeswitch.sandbox.guest_reader"
CROSS, OPTIONS = 1 << 1, 1 << 9  # ds4_report's bits (DualShock 4 byte 5 high nibble, byte 6)
A, START = 0x10 << 8, 0x10  # xpad_report's bits (Xbox 360 byte 3, byte 2)
RING = 128 * 1024


class Guest:
    def __init__(self, agent: LibvirtGuestAgent) -> None:
        self.agent = agent

    def sh(self, script: str, check: bool = True) -> str:
        done = run(self.agent.run(["sh", "-c", f"cd /tmp || exit 1; {script}"], WAIT))
        if check:
            assert done.exit_code == 0, f"{script}: {done.stdout}{done.stderr}"
        return done.stdout

    def background(self, name: str, command: str) -> None:
        self.sh(f"{command} > {name}.out 2> {name}.err & echo $! > {name}.pid")

    def stop(self, name: str) -> None:
        self.sh(f"kill $(cat {name}.pid) 2>/dev/null; while kill -0 $(cat {name}.pid) 2>/dev/null; do sleep 0.1; done")

    def lines(self, name: str) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.sh(f"cat {name}.out").splitlines() if line.startswith("{")]

    def wait(self, name: str, check: Callable[[list[dict[str, object]]], bool]) -> list[dict[str, object]]:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            found = self.lines(name)
            if check(found):
                return found
            time.sleep(0.3)
        raise AssertionError(f"{name} never got there: {self.sh(f'cat {name}.out {name}.err', check=False)}")


@pytest.fixture(scope="session")
def usbmon_guest(progress: Progress) -> Iterator[Guest]:
    """Booted (or restored from its saved state) once per session."""
    vm = EmbeddedVm("modeswitch-usbmon", pads=0, root=shared_root(), guest=ensure_python_guest(progress=progress),
                    progress=progress)
    run(vm.__aenter__())
    agent = vm.agent()
    try:
        run(agent.connect())
        run(agent.wait_ready(BOOT_GUARD))
        yield Guest(agent)
    finally:
        run(agent.close())
        run(vm.__aexit__(None, None, None))


def end_of(lines: list[dict[str, object]]) -> dict[str, object]:
    return next(line for line in lines if line.get("end"))


def changes(lines: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(line["button"], line["value"]) for line in lines if "button" in line]


def plug(guest: Guest, kind: str, name: str) -> tuple[int, int]:
    """A gadget on the guest's bus, bound by its driver, held open by a game."""
    if kind == "hid":
        out = guest.sh(f"{GADGETS} hid {name}")
    else:
        guest.background(name, f"{GADGETS} xpad {name}")
        out = guest.sh(f"while ! grep -q ' ' {name}.out; do sleep 0.2; done; cat {name}.out")
    bus, device = (int(n) for n in out.split()[:2])
    guest.background(f"{name}-game", f"{GADGETS} hold {name} --rumble")
    guest.sh(f"while ! grep -q event {name}-game.out; do sleep 0.2; done")
    return bus, device


def start_reader(guest: Guest, pads: str, *options: str) -> None:
    guest.sh(f"echo '{pads}' > reader.pads")
    guest.background("reader", f"{READER} reader.pads {' '.join(options)}")
    guest.wait("reader", lambda lines: any(line.get("open") for line in lines))


def send(guest: Guest, name: str, reports: list[bytes]) -> None:
    guest.sh(f"{GADGETS} send {name} {' '.join(r.hex() for r in reports)}")


def test_hid_pad_chord_on_the_real_node_and_leaving(usbmon_guest: Guest) -> None:
    guest = usbmon_guest
    bus, device = plug(guest, "hid", "ds4")
    driver = guest.sh(f"basename $(readlink /sys/bus/usb/devices/{bus}-1/{bus}-1:1.0/*:054C:09CC.*/driver)")
    assert driver.strip() == "hid-generic"
    start_reader(guest, f"{bus} {device} 054c 09cc")
    send(guest, "ds4", [ds4_report(CROSS), ds4_report(CROSS | OPTIONS), ds4_report(0), ds4_report(CROSS)])
    guest.wait("reader", lambda lines: len(changes(lines)) >= 5)
    guest.sh(f"{GADGETS} unbind ds4")  # unplugged with cross held
    lines = guest.wait("reader", lambda lines: len(changes(lines)) >= 6)
    guest.stop("reader")
    lines = guest.lines("reader")
    assert any(line.get("end") for line in lines), guest.sh("cat reader.err reader.pid; ps")
    assert lines[0] == {"source": "RingSource", "ring": 307200}
    assert changes(lines) == [("BTN_SOUTH", 1), ("BTN_START", 1), ("BTN_SOUTH", 0), ("BTN_START", 0),
                              ("BTN_SOUTH", 1), ("BTN_SOUTH", 0)]
    end = end_of(lines)
    assert end["open"] == [bus]
    assert isinstance(end["pads"], list) and "left the USB bus" in str(end["pads"][0]["reason"])
    guest.stop("ds4-game")
    guest.sh(f"{GADGETS} remove ds4")


def test_xpad_pad_through_functionfs_read_with_getx(usbmon_guest: Guest) -> None:
    guest = usbmon_guest
    bus, device = plug(guest, "xpad", "x360")
    assert guest.sh(f"basename $(readlink /sys/bus/usb/devices/{bus}-1/{bus}-1:1.0/driver)").strip() == "xpad"
    commands = guest.sh("while ! grep -q 000800c040 /tmp/gadgets/x360/out; do sleep 0.2; done; "
                        "cat /tmp/gadgets/x360/out").split()
    assert commands[0].startswith("0103")  # xpad's LED command: the pad's number
    assert "000800c040000000" in commands  # the game's rumble (strong 0xc000, weak 0x4000)
    start_reader(guest, f"{bus} {device} 045e 028e", "--getx")
    send(guest, "x360", [xpad_report(A), xpad_report(A | START), xpad_report(0)])
    guest.wait("reader", lambda lines: len(changes(lines)) >= 4)
    guest.stop("reader")
    lines = guest.lines("reader")
    assert lines[0] == {"source": "NodeSource", "ring": None}
    assert changes(lines) == [("BTN_SOUTH", 1), ("BTN_START", 1), ("BTN_SOUTH", 0), ("BTN_START", 0)]


def test_ring_wraps_with_fillers_and_overflow_is_counted_once(usbmon_guest: Guest) -> None:
    """A 128 KiB ring: 1500 presses (~290 KiB of events, sent as fast as the host polls) wrap
    it twice; the reader frozen meanwhile makes the kernel drop events, counted and logged
    once however often it happens."""
    guest = usbmon_guest
    bus, device = plug_again(guest)
    start_reader(guest, f"{bus} {device} 045e 028e", "--ring-size", str(RING))
    presses = [xpad_report(A if n % 2 == 0 else 0) for n in range(1500)]
    send(guest, "x360", presses)
    guest.wait("reader", lambda lines: len(changes(lines)) >= len(presses))
    for _ in range(2):
        guest.sh("kill -STOP $(cat reader.pid)")
        send(guest, "x360", presses)
        guest.sh("sleep 3; kill -CONT $(cat reader.pid)")  # the FIFO took them: sent meanwhile
        guest.wait("reader", lambda lines: any("dropped" in str(line.get("message")) for line in lines))
    guest.sh("sleep 1")
    guest.stop("reader")
    lines = guest.lines("reader")
    assert lines[0] == {"source": "RingSource", "ring": RING}
    assert changes(lines)[:len(presses)] == [("BTN_SOUTH", 1 - n % 2) for n in range(len(presses))]
    end = end_of(lines)
    assert isinstance(end["fillers"], int) and end["fillers"] > 0
    assert isinstance(end["dropped"], dict) and end["dropped"][str(bus)] > 0
    assert sum("dropped" in str(line.get("message")) for line in lines) == 1


def plug_again(guest: Guest) -> tuple[int, int]:
    """The Xbox 360 gadget of the test before, still plugged: its address."""
    out = guest.sh("cat x360.out")
    bus, device = (int(n) for n in out.split()[:2])
    return bus, device


def test_usbmon_unloaded_and_loaded_again(usbmon_guest: Guest) -> None:
    """The kernel keeps usbmon while a reader holds a node (rmmod fails); with no pad in
    the VM nothing is open, it unloads, and a pad then says how to fix it until it is back."""
    guest = usbmon_guest
    bus, device = plug_again(guest)
    start_reader(guest, f"{bus} {device} 045e 028e")
    guest.sh("! rmmod usbmon 2>/dev/null && ls /dev/usbmon3")
    guest.sh("echo > reader.pads")
    guest.wait("reader", lambda lines: lines[-1].get("open") == [])
    guest.sh("rmmod usbmon && ! ls /dev/usbmon3")
    guest.sh(f"echo '{bus} {device} 045e 028e' > reader.pads")
    lines = guest.wait("reader", lambda lines: lines[-1].get("open") == [] and bool(lines[-1].get("pads")))
    assert "usbmon is not loaded" in json.dumps(lines[-1]["pads"])
    guest.sh(f"insmod /lib/modules/usbmon.ko && while [ ! -e /dev/usbmon{bus} ]; do sleep 0.1; done")
    guest.sh(f"echo '{bus} {device} 045e 028e ' > reader.pads")  # the seat changes again
    guest.wait("reader", lambda lines: lines[-1].get("open") == [bus])
    send(guest, "x360", [xpad_report(START), xpad_report(0)])
    lines = guest.wait("reader", lambda lines: len(changes(lines)) >= 2)
    guest.stop("reader")
    assert changes(lines) == [("BTN_START", 1), ("BTN_START", 0)]
    guest.sh(f"{GADGETS} unbind x360")
    guest.stop("x360-game")
    guest.stop("x360")
    guest.sh(f"{GADGETS} remove x360")
