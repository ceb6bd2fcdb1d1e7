"""Real python-evdev and pyudev reading umockdev-emulated controllers.

umockdev works through LD_PRELOAD, which must be in place before the process starts, while
the suite is one plain `pytest` run. So each test starts a child under `umockdev-wrapper`
that runs a scenario from umockdev_scenarios.py (the triggers in-process) or
umockdev_daemon.py (the real daemon and CLI as its children), with devices from
tests/fixtures/input/*.json, and prints a JSON result on its last line; the assertions live
here. umockdev_run kills the child's whole session if it outlives its timeout.
"""

from __future__ import annotations

from typing import Any

import pytest
from umockdev_run import run_scenario

pytestmark = pytest.mark.umockdev


@pytest.fixture(scope="module")
def combos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_scenario("combos", tmp_path_factory.mktemp("combos"))


@pytest.fixture(scope="module")
def hotplug(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_scenario("hotplug", tmp_path_factory.mktemp("hotplug"))


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_scenario("e2e", tmp_path_factory.mktemp("daemon"), script="umockdev_daemon.py")


def test_only_pads_are_read(combos):
    assert combos["pads"] == [
        "Microsoft X-Box 360 pad",
        "Nintendo Switch Pro Controller",
        "Sony Interactive Entertainment DualSense Wireless Controller",
        "Xbox Wireless Controller",
    ]  # not the DualSense touchpad or motion sensors, not the keyboard


def test_replayed_combo_reaches_the_requester_from_every_layout(combos):
    assert combos["requests"][:4] == [
        ["toggle", "combo select+start on Microsoft X-Box 360 pad"],
        ["toggle", "combo select+start on Xbox Wireless Controller"],
        ["toggle", "combo select+start on Sony Interactive Entertainment DualSense Wireless Controller"],
        ["toggle", "combo select+start on Nintendo Switch Pro Controller"],
    ]


def test_analog_triggers_and_hat_hold_combo(combos):
    assert combos["held_fired"]
    assert combos["requests"][4] == [
        "tv", "combo tl2+tr2+dpad_down on Sony Interactive Entertainment DualSense Wireless Controller"]
    assert len(combos["requests"]) == 5  # the touchpad's click fired nothing


def test_stop_releases_every_reader_without_complaint(combos):
    assert combos["pads_after_stop"] == 0
    assert combos["problems"] == []


def test_pad_plugged_in_while_running_fires_its_rule_once(hotplug):
    assert hotplug["pads_at_start"] == 0
    assert hotplug["picked_up"] and hotplug["connect_fired"]
    assert hotplug["after_storm"] == 1
    assert hotplug["requests"][0] == ["tv", "hotplug Xbox Wireless Controller connected"]


def test_replugged_pad_is_read_again_and_unplug_ends_its_reader(hotplug):
    assert hotplug["combo_after_replug"]
    assert hotplug["reader_ended"]
    assert hotplug["problems"] == []


def test_daemon_switches_on_a_combo_and_on_a_pad_plugged_in(daemon):
    assert daemon["started_in"] == "desk"
    assert daemon["pads_read"] == ["Microsoft X-Box 360 pad"]  # the DualSense touchpad is no pad
    assert daemon["combo_switched_to_tv"]
    assert daemon["combo_toggled_back"]
    assert daemon["hotplug_switched_to_tv"]
    assert daemon["daemon_exit"] == 0 and daemon["daemon_problems"] == []
