"""udev/70-modeswitch.rules proven by `udevadm test` against umockdev-emulated devices.

udevadm test may only run in a private mount namespace (it writes under /run), and it must
see the emulated sysfs, so umockdev_udev.py runs under umockdev-wrapper and wraps each
udevadm call in `unshare -m` with a tmpfs on /run and only our rules dir visible. The system's
60-input-id.rules sits beside ours so ID_INPUT_JOYSTICK comes from udev's own classification
of the emulated capabilities, not from us.
"""

from __future__ import annotations

import grp
from typing import Any

import pytest
from umockdev_run import run_scenario

pytestmark = pytest.mark.umockdev


@pytest.fixture(scope="module")
def udev(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_scenario("rules", tmp_path_factory.mktemp("udev"), script="umockdev_udev.py")


@pytest.mark.parametrize("pad", ["dualsense", "xpad-360"])
def test_gamepads_get_uaccess(udev, pad):
    props = udev[pad]["props"]
    assert props["ID_INPUT_JOYSTICK"] == "1"
    assert "uaccess" in props["CURRENT_TAGS"].split(":")


@pytest.mark.parametrize("other", ["dualsense-touchpad", "keyboard"])
def test_other_input_nodes_get_nothing_from_us(udev, other):
    assert "uaccess" not in udev[other]["props"].get("CURRENT_TAGS", "")


def test_kvmfr_group_mode_and_uaccess(udev):
    kvmfr = udev["kvmfr"]
    kvm_gid = grp.getgrnam("kvm").gr_gid
    assert any(line.endswith(f"GROUP {kvm_gid}") for line in kvmfr["our_lines"])
    assert any(line.endswith("MODE 0660") for line in kvmfr["our_lines"])
    assert "uaccess" in kvmfr["props"]["CURRENT_TAGS"].split(":")


def test_usbmon_nodes_go_to_group_usbmon_0640(udev):
    lines = udev["usbmon"]["our_lines"]
    assert any(line.endswith(f"GROUP {udev['usbmon_gid']}") for line in lines), lines
    assert any(line.endswith("MODE 0640") for line in lines), lines


def test_usbmon_rule_leaves_other_nodes_alone(udev):
    for name in ("xpad-360", "keyboard", "kvmfr"):
        assert not any("MODE 0640" in line for line in udev[name]["our_lines"]), name


def test_rules_parse_cleanly(udev):
    for name in ("dualsense", "dualsense-touchpad", "xpad-360", "keyboard", "kvmfr", "usbmon"):
        assert any("Reading rules file" in line for line in udev[name]["our_lines"]), name
        assert udev[name]["trouble"] == [], name


def test_a_broken_rule_would_be_caught(udev):
    assert any("Invalid key 'BOGUS'" in line for line in udev["broken-control"]["trouble"])
