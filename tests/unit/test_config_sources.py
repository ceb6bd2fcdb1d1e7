"""`source:` on combos: pads (default), a CEC remote (only the kernel's rc-cec keys), a keyboard."""

from __future__ import annotations

from pathlib import Path

import pytest

from modeswitch.config.loader import load_config
from modeswitch.errors import ConfigError
from modeswitch.model import ComboSource

DESK, TV = "name: desk\n", "name: tv\n"


def load(root: Path, combo: str) -> object:
    (root / "modes").mkdir(exist_ok=True)
    (root / "modes" / "desk.yaml").write_text(DESK)
    (root / "modes" / "tv.yaml").write_text(TV)
    path = root / "config.yaml"
    path.write_text(f"triggers:\n  combos:\n    - {combo}\n")
    return load_config(path, required=True)


GOOD = [
    ("{buttons: [select, start], action: toggle}", ComboSource.PAD, ("BTN_SELECT", "BTN_START")),
    ("{buttons: [KEY_RED], action: desk, source: remote}", ComboSource.REMOTE, ("KEY_RED",)),
    ("{buttons: [red, menu], action: desk, source: remote}", ComboSource.REMOTE, ("KEY_RED", "KEY_MENU")),
    ("{buttons: [KEY_MUTE, KEY_EXIT], action: tv, source: remote}", ComboSource.REMOTE, ("KEY_MUTE", "KEY_EXIT")),
    ("{buttons: [KEY_LEFTCTRL, KEY_LEFTALT, KEY_F12], action: toggle, source: keyboard}", ComboSource.KEYBOARD,
     ("KEY_LEFTCTRL", "KEY_LEFTALT", "KEY_F12")),
]


@pytest.mark.parametrize(("combo", "source", "buttons"), GOOD)
def test_sources_and_their_names(tmp_path: Path, combo: str, source: ComboSource, buttons: tuple[str, ...]) -> None:
    config = load(tmp_path, combo)
    spec = config.combos[0]  # type: ignore[attr-defined]
    assert (spec.source, spec.buttons) == (source, buttons)


BAD = [
    ("{buttons: [KEY_F12], action: desk, source: remote}", "3:18: unknown remote key 'KEY_F12' "
     "(a CEC remote cannot send KEY_F12; it sends e.g. KEY_RED, KEY_GREEN, KEY_MENU, KEY_EXIT)"),
    ("{buttons: [KEY_LEFTCRTL], action: desk, source: keyboard}", "3:18: unknown keyboard key 'KEY_LEFTCRTL' "
     "(did you mean 'KEY_LEFTCTRL'?)"),
    ("{buttons: [KEY_RED], action: desk}", "3:18: unknown button 'KEY_RED'"),
    ("{buttons: [select], action: desk, source: remot}", "unknown combo source 'remot' (did you mean 'remote'?)"),
]


@pytest.mark.parametrize(("combo", "message"), BAD)
def test_a_key_no_source_can_send_is_a_config_error(tmp_path: Path, combo: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, combo)
    assert str(error.value).startswith(f"{tmp_path}/config.yaml:") and message in str(error.value)
