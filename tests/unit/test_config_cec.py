"""`triggers: cec:` in config.yaml: what is read, and each mistake at its file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_config import DESK, TV, config_error, write_tree

from modeswitch.config.loader import load_config
from modeswitch.model import CecRule, TvEvent


def test_cec_rules_are_read(tmp_path: Path) -> None:
    config = ("triggers:\n  cec:\n    - {on: tv-on, mode: tv}\n    - {on: tv-standby, mode: desk, debounce: 5}\n"
              "    - {on: input-left, mode: desk, device: /dev/cec1}\n")
    loaded = load_config(write_tree(tmp_path, config, {"desk.yaml": DESK, "tv.yaml": TV}), required=True)
    assert loaded.cec == (CecRule(TvEvent.TV_ON, "tv"), CecRule(TvEvent.TV_STANDBY, "desk", 5.0),
                          CecRule(TvEvent.INPUT_LEFT, "desk", 2.0, "/dev/cec1"))


@pytest.mark.parametrize(("rule", "message"), [
    ("{on: tv-onn, mode: tv}", "3:12: unknown CEC event 'tv-onn' (did you mean 'tv-on'?)"),
    ("{on: power, mode: tv}", "3:12: unknown CEC event 'power' (expected one of: input-left, input-selected, "
                              "tv-on, tv-standby)"),
    ("{on: tv-on, mode: tvv}", "3:25: unknown mode 'tvv' (did you mean 'tv'?)"),
    ("{mode: tv}", "3:7: a cec trigger needs 'on' (e.g. {on: tv-on, mode: tv})"),
    ("{on: tv-on}", "3:7: a cec trigger needs 'mode' (e.g. {on: tv-on, mode: tv})"),
    ("{on: tv-on, mode: tv, debounce: 100}", "3:39: 100 is too large (use at most 60.0)"),
    ("{on: tv-on, mode: tv, device: cec0}", "3:37: 'cec0' is not a device path (e.g. /dev/cec0)"),
    ("{on: tv-on, mode: tv, when: later}", "3:29: unknown key 'when' (expected one of: debounce, device, mode, on)"),
])
def test_cec_rule_mistakes_say_where(tmp_path: Path, rule: str, message: str) -> None:
    error = config_error(tmp_path, f"triggers:\n  cec:\n    - {rule}\n")
    assert str(error).startswith(f"{tmp_path}/config.yaml:{message}")
