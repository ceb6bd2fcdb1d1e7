"""A TV remote over HDMI-CEC (an rc input node with bus type BUS_CEC) and a host keyboard,
emulated with umockdev, through the same triggers and detector as the pads."""

from __future__ import annotations

from typing import Any

import pytest
from umockdev_run import run_scenario

pytestmark = pytest.mark.umockdev


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_scenario("keys", tmp_path_factory.mktemp("keys"))


def test_remote_keyboard_and_pad_each_fire_their_own_combo(keys):
    assert keys["remote_fired"] and keys["keyboard_fired"] and keys["pad_fired"] and keys["remote_chord_fired"]
    assert keys["requests"] == [
        ["desk", "combo KEY_RED on serio0"],
        ["toggle", "combo KEY_LEFTCTRL+KEY_LEFTALT+KEY_F12 on Logitech USB Keyboard"],
        ["toggle", "combo select+start on Microsoft X-Box 360 pad"],
        ["tv", "combo KEY_UP+KEY_DOWN on serio0"],
    ]  # the keyboard's up+down, earlier, did not complete the remote's chord


def test_remote_and_keyboard_are_not_listed_as_pads(keys):
    assert keys["pads"] == ["Microsoft X-Box 360 pad"]


def test_nothing_went_wrong(keys):
    assert keys["problems"] == []
