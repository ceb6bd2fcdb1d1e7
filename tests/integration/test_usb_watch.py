"""The USB watcher on the real pyudev netlink monitor, fed by umockdev (see umockdev_usb.py for
the scenario, umockdev_run for how it runs in a child under umockdev-wrapper)."""

from __future__ import annotations

from typing import Any

import pytest
from umockdev_run import run_scenario

pytestmark = pytest.mark.umockdev
PAD = "045e:028e @001.005"


@pytest.fixture(scope="module")
def watch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_scenario("usbwatch", tmp_path_factory.mktemp("usbwatch"), script="umockdev_usb.py")


def test_each_burst_calls_back_once_with_its_action(watch):
    assert watch["plugged"] and watch["unplugged"] and watch["replugged"]
    assert [action for action, _ in watch["calls"]] == ["add", "remove", "add"]
    assert all(what.startswith(PAD) for _, what in watch["calls"])


def test_a_reconnect_storm_is_one_add(watch):
    assert watch["calls"][0][1].startswith(f"{PAD} (+")  # several uevents, one call
    assert watch["control_saw"].count("add usb usb_device") >= 4


def test_interfaces_and_input_nodes_are_not_usb_devices(watch):
    # their add/remove went out in the unplug burst (the control monitor saw them), yet the
    # burst counts one uevent: the pad's own remove
    saw = watch["control_saw"]
    assert {"add input None", "remove input None", "add usb usb_interface", "remove usb usb_interface"} <= set(saw)
    assert watch["calls"][1] == ["remove", PAD]


def test_replug_within_a_window_is_an_add(watch):
    assert watch["calls"][2] == ["add", f"{PAD} (+1 more uevent)"]


def test_stop_removes_the_reader(watch):
    assert watch["reader_left_after_stop"] is False
    assert watch["running_after_stop"] is False
