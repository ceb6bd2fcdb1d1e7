"""Desk mode's keyboard really reaches the guest: QEMU (under umockdev) opens an emulated
evdev keyboard through the same QMP input-linux path desk mode uses on libvirt 9, a key typed
on the host's node arrives on the guest's keyboard, QEMU holds the grab toggle the mode asked
for, and switching to TV removes our object and nothing else."""

from __future__ import annotations

import json
from collections.abc import Iterator

import libvirt_qemu
import pytest
from conftest import BOOT_GUARD
from evdev import ecodes
from support.loop import run, shared_root
from umockdev_qemu import EmulatedKeyboard, emulated_keyboard

from modeswitch.config.loader import Config
from modeswitch.core.history import HistoryLog
from modeswitch.core.seat import BackendSet, Seat
from modeswitch.model import Mode
from modeswitch.parts.guest.backend import LibvirtGuestAgent
from modeswitch.parts.hooks.backend import HookRunner
from modeswitch.parts.inputs.spec import EvdevInput
from modeswitch.parts.vm.spec import VmPower
from modeswitch.sandbox.embedded_vm import EmbeddedVm
from modeswitch.sandbox.guest_image import GuestImage
from modeswitch.sandbox.progress import Progress

INPUT_EVENT_SIZE = 24
USERS_OWN = "users-own-keyboard"  # an input-linux object the user added: never ours to remove
KEYBOARD_NODE = "/dev/zero"  # see umockdev_qemu.emulated_keyboard: QEMU sees a keyboard there
GUEST_KEYBOARD = "/dev/input/event0"  # the guest's AT keyboard, where QEMU sends key events
# Opens the keyboard first, says so, then prints the next 6 events as hex: a key press and its
# release each come as EV_MSC (scancode), EV_KEY, EV_SYN from the guest's AT keyboard.
READ_KEYS = (f"exec 3<{GUEST_KEYBOARD}; touch /tmp/reading; "
             f"dd bs={INPUT_EVENT_SIZE} count=6 <&3 2>/dev/null | od -An -v -tx1")


class NoKeysHeld:
    """EVIOCGKEY as the ioctl file answers it for this keyboard (all zero: nothing held); the
    test process is not preloaded, so it cannot open the emulated node itself."""

    def held_keys(self, path: str) -> set[int]:
        return set()


class KeyboardVm:
    def __init__(self, vm: EmbeddedVm, agent: LibvirtGuestAgent, keyboard: EmulatedKeyboard, seat: Seat) -> None:
        self.vm, self.agent, self.keyboard, self.seat = vm, agent, keyboard, seat

    def qmp(self, execute: str, **arguments: object) -> object:
        conn = self.vm.connection
        assert conn is not None
        dom = conn.lookupByName(self.vm.domain)
        reply = json.loads(libvirt_qemu.qemuMonitorCommand(dom, json.dumps({"execute": execute,
                                                                             "arguments": arguments}), 0))
        assert "error" not in reply, reply
        return reply["return"]

    def input_objects(self) -> dict[str, str]:
        """QEMU's input-linux objects: id → the evdev path it reads."""
        listing = self.qmp("qom-list", path="/objects")
        assert isinstance(listing, list)
        names = [o["name"] for o in listing if o["type"] == "child<input-linux>"]
        return {name: str(self.qmp("qom-get", path=f"/objects/{name}", property="evdev")) for name in names}

    def ours(self) -> str:
        """The object desk mode added (QMP on libvirt 9, libvirt's own on libvirt >= 10.4)."""
        found = [name for name, path in self.input_objects().items()
                 if path == self.keyboard.devnode and name != USERS_OWN]
        assert len(found) == 1, self.input_objects()
        return found[0]


@pytest.fixture(scope="module")
def keyboard_vm(guest_image: GuestImage, progress: Progress,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeyboardVm]:
    """A guest of its own (restored from its own saved state): QEMU must start under umockdev."""
    workdir = tmp_path_factory.mktemp("umockdev-qemu")
    keyboard = emulated_keyboard(workdir, 7, KEYBOARD_NODE)
    vm = EmbeddedVm("modeswitch-keyboard", pads=0, root=shared_root(), guest=guest_image,
                    qemu_env=keyboard.env, progress=progress)
    run(vm.__aenter__())
    agent, backend = vm.agent(), vm.backend(held_keys=NoKeysHeld())
    desk = Mode("desk", vm=VmPower.RUNNING, inputs=(EvdevInput(keyboard.devnode, grab_toggle="alt-alt"),))
    tv = Mode("tv", vm=VmPower.RUNNING, inputs=())
    config = Config(path=workdir / "config.yaml", modes={"desk": desk, "tv": tv}, step_timeout=30.0)
    seat = Seat(config, BackendSet(hooks=HookRunner(), vm=backend), HistoryLog(workdir / "history.jsonl"))
    try:
        run(agent.connect())
        run(backend.connect())
        run(agent.wait_ready(BOOT_GUARD))
        yield KeyboardVm(vm, agent, keyboard, seat)
    finally:
        run(backend.close())
        run(agent.close())
        run(vm.__aexit__(None, None, None))
        del keyboard.testbed


def _switch(kvm: KeyboardVm, name: str) -> None:
    result = run(kvm.seat.switch(name, "test", state=run(kvm.seat.observe())))
    assert result.ok, result.error


async def _typed_in_guest(kvm: KeyboardVm, code: int) -> list[tuple[int, int, int]]:
    """Start a reader on the guest's keyboard, type `code` on the host's node, return events."""
    import asyncio

    await kvm.agent.run(["rm", "-f", "/tmp/reading"], 30)
    reader = asyncio.ensure_future(kvm.agent.run(["/bin/sh", "-c", READ_KEYS], 60))
    for _ in range(600):
        if reader.done() or (await kvm.agent.run(["test", "-e", "/tmp/reading"], 30)).exit_code == 0:
            break
        await asyncio.sleep(0.05)
    kvm.keyboard.type_key(code)
    done = await reader
    raw = bytes.fromhex("".join(done.stdout.split()))
    events = []
    for offset in range(0, len(raw) - INPUT_EVENT_SIZE + 1, INPUT_EVENT_SIZE):
        chunk = raw[offset + 16:offset + INPUT_EVENT_SIZE]
        events.append((int.from_bytes(chunk[0:2], "little"), int.from_bytes(chunk[2:4], "little"),
                       int.from_bytes(chunk[4:8], "little", signed=True)))
    return events


def test_a_key_typed_on_the_host_arrives_in_the_guest(keyboard_vm: KeyboardVm) -> None:
    _switch(keyboard_vm, "desk")
    events = run(_typed_in_guest(keyboard_vm, ecodes.KEY_A))
    keys = [(code, value) for kind, code, value in events if kind == ecodes.EV_KEY]
    assert keys == [(ecodes.KEY_A, 1), (ecodes.KEY_A, 0)]


def test_qemu_holds_the_grab_toggle_the_mode_asked_for(keyboard_vm: KeyboardVm) -> None:
    _switch(keyboard_vm, "desk")
    ours = f"/objects/{keyboard_vm.ours()}"
    assert keyboard_vm.qmp("qom-get", path=ours, property="grab-toggle") == "alt-alt"
    assert keyboard_vm.qmp("qom-get", path=ours, property="grab_all") is True
    assert keyboard_vm.qmp("qom-get", path=ours, property="evdev") == keyboard_vm.keyboard.devnode


def test_tv_removes_our_input_object_and_only_ours(keyboard_vm: KeyboardVm) -> None:
    _switch(keyboard_vm, "desk")
    keyboard_vm.qmp("object-add", **{"qom-type": "input-linux", "id": USERS_OWN,
                                     "evdev": keyboard_vm.keyboard.devnode, "grab_all": False})
    try:
        ours = keyboard_vm.ours()
        assert set(keyboard_vm.input_objects()) == {ours, USERS_OWN}
        _switch(keyboard_vm, "tv")
        assert list(keyboard_vm.input_objects()) == [USERS_OWN]
    finally:
        keyboard_vm.qmp("object-del", id=USERS_OWN)
