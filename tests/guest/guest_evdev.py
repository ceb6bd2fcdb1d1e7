"""Desk mode's evdev inputs on the stack this runs on, with QEMU opening real (emulated) nodes.

Below libvirt 10.4 desk mode adds QEMU input-linux objects through QMP; from 10.4 on libvirt
live-attaches `<input type='evdev'>` itself. tests/integration/test_debian13.py runs this module
on both (libvirt 9 here, libvirt 11 in the Debian 13 root), so each test states what the path
of the libvirt it runs on must do. Two emulated keyboards live in one umockdev testbed that
QEMU is started under; the VM boots nothing (the keys reaching a guest: guest_keyboard.py).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import libvirt
import libvirt_qemu
import pytest
from support.loop import run, shared_root
from umockdev_qemu import devices, ioctls_for_qemu, qemu_env

from modeswitch.config.loader import Config
from modeswitch.core.history import HistoryLog
from modeswitch.core.seat import BackendSet, Seat
from modeswitch.model import Mode
from modeswitch.parts.hooks.backend import HookRunner
from modeswitch.parts.inputs.spec import EvdevInput
from modeswitch.parts.vm.backend import NATIVE_EVDEV_HOTPLUG
from modeswitch.parts.vm.domain_xml import INPUT_ALIAS_PREFIX, QMP_INPUT_PREFIX
from modeswitch.parts.vm.spec import VmPower
from modeswitch.sandbox.embedded_vm import EmbeddedVm

# Two keyboards desk mode hands over and one the user gives the VM himself. Each is a node every
# Linux has, which libvirt >= 10.4 can check in its own process, shadowed by umockdev for QEMU
# alone (see umockdev_qemu.emulated_keyboard); nothing opens these three in QEMU otherwise.
KEYBOARDS = ((11, "/dev/full"), (12, "/dev/kmsg"), (13, "/dev/zero"))
NATIVE = libvirt.getVersion() >= NATIVE_EVDEV_HOTPLUG
MISSING = "/dev/input/event99"  # no such node, on the host nor in the testbed: refused


class NoKeysHeld:
    """The test process is not preloaded and cannot open the emulated nodes; EVIOCGKEY of them
    answers all zero (nothing held) anyway."""

    def held_keys(self, path: str) -> set[int]:
        return set()


@dataclass
class Rig:
    vm: EmbeddedVm
    seat: Seat
    nodes: tuple[str, str, str]

    @property
    def dom(self) -> libvirt.virDomain:
        assert self.vm.connection is not None
        return self.vm.connection.lookupByName(self.vm.domain)

    def qmp(self, execute: str, **arguments: object) -> Any:
        reply = json.loads(libvirt_qemu.qemuMonitorCommand(self.dom, json.dumps(
            {"execute": execute, "arguments": arguments}), 0))
        assert "error" not in reply, reply
        return reply["return"]

    def objects(self) -> list[str]:
        return sorted(o["name"] for o in self.qmp("qom-list", path="/objects") if o["type"] == "child<input-linux>")

    def prop(self, object_id: str, name: str) -> Any:
        return self.qmp("qom-get", path=f"/objects/{object_id}", property=name)

    def live_inputs(self) -> list[dict[str, str]]:
        """Each live `<input type='evdev'>`: its source attributes plus its alias."""
        found = []
        for element in ET.fromstring(self.dom.XMLDesc(0)).iter("input"):
            source, alias = element.find("source"), element.find("alias")
            if element.get("type") == "evdev" and source is not None:
                found.append({**source.attrib, "alias": alias.get("name", "") if alias is not None else ""})
        return found

    def switch(self, name: str) -> Any:
        return run(self.seat.switch(name, "test", state=run(self.seat.observe())))

    def ours(self) -> dict[str, str]:
        """path → QOM id of the inputs modeswitch holds, as it observes them."""
        return {held.path: held.handle for held in run(self.seat.observe()).vm.inputs}


def keyboards_testbed(workdir: Path) -> tuple[Any, dict[str, str], tuple[str, str, str]]:
    import gi

    gi.require_version("UMockdev", "1.0")
    from gi.repository import UMockdev

    testbed = UMockdev.Testbed.new()
    desc = devices.load("keyboard")
    ioctl = workdir / "keyboard.ioctl"
    ioctl.write_text(ioctls_for_qemu(desc))
    for number, node in KEYBOARDS:
        text = devices.umockdev_text(desc, number)
        text = text.replace(f"N: input/event{number}", f"N: {node.removeprefix('/dev/')}")
        testbed.add_from_string(text.replace(f"DEVNAME=/dev/input/event{number}", f"DEVNAME={node}"))
        testbed.load_ioctl(node, str(ioctl))
    first, second, users = (node for _, node in KEYBOARDS)
    return testbed, qemu_env(testbed), (first, second, users)


def _modes(first: str, second: str) -> dict[str, Mode]:
    desk = Mode("desk", vm=VmPower.RUNNING, inputs=(
        EvdevInput(first, grab_all=True, grab_toggle="alt-alt", repeat=True),
        EvdevInput(second, grab_all=False, grab_toggle="scrolllock", repeat=False)))
    broken = Mode("broken", vm=VmPower.RUNNING, inputs=(EvdevInput(first), EvdevInput(MISSING)))
    return {"desk": desk, "broken": broken, "tv": Mode("tv", vm=VmPower.RUNNING, inputs=())}


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    workdir = tmp_path_factory.mktemp("evdev")
    testbed, env, nodes = keyboards_testbed(workdir)
    vm = EmbeddedVm("modeswitch-evdev", pads=0, root=shared_root(), qemu_env=env)
    run(vm.__aenter__())
    backend = vm.backend(held_keys=NoKeysHeld(), start_timeout=5.0)  # bounds a release that never comes
    config = Config(path=workdir / "config.yaml", modes=_modes(nodes[0], nodes[1]), step_timeout=30.0)
    seat = Seat(config, BackendSet(hooks=HookRunner(), vm=backend), HistoryLog(workdir / "history.jsonl"))
    try:
        run(backend.connect())
        yield Rig(vm, seat, nodes)
    finally:
        run(backend.close())
        run(vm.__aexit__(None, None, None))
        del testbed


@pytest.fixture
def in_tv(rig: Rig) -> Rig:
    assert rig.switch("tv").ok
    assert rig.objects() == [] and rig.live_inputs() == []
    return rig


def test_desk_gives_each_keyboard_with_its_grab_toggle_and_repeat(in_tv: Rig) -> None:
    rig, (first, second, _users) = in_tv, in_tv.nodes
    result = rig.switch("desk")
    assert result.ok, result.error
    ours = rig.ours()
    assert sorted(ours) == [first, second] and rig.objects() == sorted(ours.values())
    assert [rig.prop(ours[first], p) for p in ("evdev", "grab_all", "grab-toggle", "repeat")] == \
        [first, True, "alt-alt", True]
    assert [rig.prop(ours[second], p) for p in ("evdev", "grab_all", "grab-toggle", "repeat")] == \
        [second, False, "scrolllock", False]
    prefix = INPUT_ALIAS_PREFIX if NATIVE else QMP_INPUT_PREFIX
    assert all(handle.startswith(prefix) for handle in ours.values()), ours
    if NATIVE:  # libvirt holds them as devices, named by the aliases we gave
        assert sorted(rig.live_inputs(), key=lambda i: i["dev"]) == [
            {"dev": first, "grab": "all", "grabToggle": "alt-alt", "repeat": "on", "alias": ours[first]},
            {"dev": second, "grabToggle": "scrolllock", "repeat": "off", "alias": ours[second]},
        ]
    else:  # QMP objects: libvirt does not know them
        assert rig.live_inputs() == []
    assert rig.switch("desk").steps == []  # in place: nothing to do


def test_tv_takes_back_exactly_our_inputs_by_our_names(in_tv: Rig) -> None:
    """The user's own evdev input (a keyboard no mode names) must stay: only what we named goes.
    True on the QMP path. libvirt 11.3 live-detaches the first evdev input of the domain
    whatever alias (or XML) it is asked for: the user's goes, ours stays grabbed, the switch
    fails and rolls back (README, Limits). This pins that down on the libvirt that does it."""
    rig, (first, second, users_node) = in_tv, in_tv.nodes
    if NATIVE:
        users = f"<input type='evdev'><source dev='{users_node}'/><alias name='ua-users-keyboard'/></input>"
        rig.dom.attachDeviceFlags(users, libvirt.VIR_DOMAIN_AFFECT_LIVE)
    else:
        rig.qmp("object-add", **{"qom-type": "input-linux", "id": "users-keyboard", "evdev": users_node})
    users_before = rig.live_inputs()
    assert rig.switch("desk").ok
    ours = rig.ours()
    assert sorted(ours) == [first, second], ours  # the user's input is not taken for ours
    assert len(rig.objects()) == 3
    result = rig.switch("tv")
    if NATIVE:
        assert not result.ok and "did not release" in (result.error or ""), result
        assert "ua-users-keyboard" not in rig.objects() and rig.live_inputs() != users_before
        assert rig.switch("tv").ok  # ours, first in the list now, go one by one
        assert rig.objects() == [] and rig.live_inputs() == []
    else:
        assert result.ok, result.error
        assert rig.ours() == {} and rig.objects() == ["users-keyboard"]
        rig.qmp("object-del", id="users-keyboard")


def test_a_rolled_back_switch_leaves_the_live_xml_as_it_was(in_tv: Rig) -> None:
    rig = in_tv
    xml_before, objects_before = rig.dom.XMLDesc(0), rig.objects()
    result = rig.switch("broken")
    assert not result.ok and MISSING in (result.error or ""), result.error
    assert [r.step.description for r in result.undone] == [f"release input {rig.nodes[0]}"]
    assert rig.objects() == objects_before
    assert rig.dom.XMLDesc(0) == xml_before
