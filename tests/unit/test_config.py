"""Config and mode-file validation: every error names its file:line:column and reads as one line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modeswitch.config.loader import load_config, shipped_modes_dir
from modeswitch.errors import ConfigError
from modeswitch.parts.audio.spec import SinkMatchBy
from modeswitch.parts.vm.spec import VmPower

REPO = Path(__file__).resolve().parents[2]
MODESWITCH = Path(sys.executable).with_name("modeswitch")

DESK = "name: desk\nlooking_glass:\n  run: true\n  argv: [sleep, '1000']\n"
TV = "name: tv\nlooking_glass: false\n"


def write_tree(root: Path, config: str | None, modes: dict[str, str]) -> Path:
    """config.yaml (when given) and modes/<file> under root; returns the config path."""
    (root / "modes").mkdir(parents=True, exist_ok=True)
    for name, text in modes.items():
        (root / "modes" / name).write_text(text)
    path = root / "config.yaml"
    if config is not None:
        path.write_text(config)
    return path


def config_error(root: Path, config: str | None, modes: dict[str, str] | None = None) -> ConfigError:
    path = write_tree(root, config, {"desk.yaml": DESK, "tv.yaml": TV} if modes is None else modes)
    with pytest.raises(ConfigError) as caught:
        load_config(path, required=config is not None)
    return caught.value


# --- each error, with its exact position -----------------------------------------------------

def test_yaml_syntax_error_in_config(tmp_path: Path) -> None:
    error = config_error(tmp_path, "libvirt:\n  uri: qemu:///system\n   domain: win11\n")
    assert (error.line, error.column) == (3, 10)
    assert str(error) == (f"{tmp_path}/config.yaml:3:10: YAML syntax error: mapping values are not allowed here "
                          "(check indentation and quoting)")


def test_yaml_syntax_error_in_mode_file(tmp_path: Path) -> None:
    error = config_error(tmp_path, None, {"desk.yaml": DESK, "tv.yaml": "name: tv\nlooking_glass: [a, b\n"})
    assert error.path == f"{tmp_path}/modes/tv.yaml"
    assert (error.line, error.column) == (3, 1)
    assert "YAML syntax error" in str(error)


def test_wrong_type_in_mode_file(tmp_path: Path) -> None:
    error = config_error(tmp_path, None, {"desk.yaml": DESK, "tv.yaml": "name: tv\nlooking_glass:\n  run: maybe\n"})
    assert str(error) == f"{tmp_path}/modes/tv.yaml:3:8: expected true or false, got 'maybe'"


def test_wrong_type_in_config(tmp_path: Path) -> None:
    error = config_error(tmp_path, "transition:\n  step_timeout: soon\n")
    assert str(error) == f"{tmp_path}/config.yaml:2:17: expected a number, got 'soon'"


def test_list_where_a_mapping_belongs(tmp_path: Path) -> None:
    error = config_error(tmp_path, "libvirt: [qemu]\n")
    assert str(error) == f"{tmp_path}/config.yaml:1:10: expected a mapping, got a list"


def test_unknown_key_in_config_with_did_you_mean(tmp_path: Path) -> None:
    error = config_error(tmp_path, "libvirt:\n  domain: win11\nlooking_glas:\n  grace: 2\n")
    assert str(error) == f"{tmp_path}/config.yaml:3:1: unknown key 'looking_glas' (did you mean 'looking_glass'?)"


def test_unknown_key_in_mode_file_with_did_you_mean(tmp_path: Path) -> None:
    error = config_error(tmp_path, None, {"desk.yaml": DESK, "tv.yaml": "name: tv\n\nlooking_glas: false\n"})
    assert str(error) == f"{tmp_path}/modes/tv.yaml:3:1: unknown key 'looking_glas' (did you mean 'looking_glass'?)"


def test_missing_file_given_with_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.yaml", required=True)
    assert str(caught.value) == f"{tmp_path}/nope.yaml: file not found"


def test_absent_default_config_means_defaults(tmp_path: Path) -> None:
    write_tree(tmp_path, None, {"desk.yaml": DESK, "tv.yaml": TV})
    config = load_config(tmp_path / "config.yaml")
    assert sorted(config.modes) == ["desk", "tv"]
    assert config.default_mode == "desk"


def test_duplicate_mode_name_in_one_dir(tmp_path: Path) -> None:
    error = config_error(tmp_path, None, {"a.yaml": "name: tv\n", "desk.yaml": DESK, "tv.yaml": TV})
    assert str(error) == (f"{tmp_path}/modes/tv.yaml:1:7: mode 'tv' is already defined in {tmp_path}/modes/a.yaml "
                          "(give each mode a unique name)")


def test_duplicate_mode_name_across_two_dirs(tmp_path: Path) -> None:
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "couch.yaml").write_text("# the same name as the shipped one\n\nname:   desk\n")
    error = config_error(tmp_path, "modes_dirs: [modes, more]\n")
    assert str(error) == (f"{tmp_path}/more/couch.yaml:3:9: mode 'desk' is already defined in "
                          f"{tmp_path}/modes/desk.yaml (give each mode a unique name)")


def test_duplicate_mode_from_the_file_name(tmp_path: Path) -> None:
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "tv.yaml").write_text("looking_glass: true\n")
    error = config_error(tmp_path, "modes_dirs: [modes, more]\n")
    assert str(error).startswith(f"{tmp_path}/more/tv.yaml:1:1: mode 'tv' is already defined in ")


COMBOS = "triggers:\n  combos:\n    - buttons: [select, {button}]\n      action: {action}\n"


def test_combo_naming_an_unknown_button(tmp_path: Path) -> None:
    error = config_error(tmp_path, COMBOS.format(button="strat", action="toggle"))
    assert str(error) == f"{tmp_path}/config.yaml:3:25: unknown button 'strat' (did you mean 'start'?)"


def test_combo_with_unknown_action(tmp_path: Path) -> None:
    error = config_error(tmp_path, COMBOS.format(button="start", action="deks"))
    assert str(error) == f"{tmp_path}/config.yaml:4:15: unknown action 'deks' (did you mean 'desk'?)"


def test_combo_buttons_accept_aliases_and_raw_names(tmp_path: Path) -> None:
    path = write_tree(tmp_path, COMBOS.format(button="BTN_A", action="tv").replace("select", "back"),
                      {"desk.yaml": DESK, "tv.yaml": TV})
    config = load_config(path, required=True)
    assert config.combos[0].buttons == ("BTN_SELECT", "BTN_SOUTH")
    assert config.combos[0].action == "tv"


@pytest.mark.parametrize("name", ["capture", "KEY_RECORD"])
def test_combo_may_name_capture(tmp_path: Path, name: str) -> None:
    """Switch Pro's Capture and the Xbox Series pad's Share: KEY_RECORD, as the kernel has it."""
    path = write_tree(tmp_path, COMBOS.format(button=name, action="tv"), {"desk.yaml": DESK, "tv.yaml": TV})
    assert load_config(path, required=True).combos[0].buttons == ("BTN_SELECT", "KEY_RECORD")


def test_default_mode_not_defined(tmp_path: Path) -> None:
    error = config_error(tmp_path, "default_mode: couch\n")
    assert str(error) == (f"{tmp_path}/config.yaml:1:15: default_mode 'couch' is not a defined mode "
                          "(expected one of: desk, tv)")


def test_default_mode_missing_from_the_modes_without_a_config_line(tmp_path: Path) -> None:
    error = config_error(tmp_path, None, {"tv.yaml": TV, "couch.yaml": "looking_glass: false\n"})
    assert str(error) == (f"{tmp_path}/config.yaml: default_mode 'desk' is not a defined mode "
                          "(set default_mode in config.yaml)")


def test_toggle_naming_an_unknown_mode(tmp_path: Path) -> None:
    error = config_error(tmp_path, "toggle: [desk, tvv]\n")
    assert str(error) == (f"{tmp_path}/config.yaml:1:9: toggle names 'tvv', which is not a defined mode "
                          "(did you mean 'tv'?)")


def test_hotplug_rule_with_unknown_mode(tmp_path: Path) -> None:
    error = config_error(tmp_path, "triggers:\n  hotplug:\n    - kind: gamepad\n      mode: tvv\n")
    assert str(error) == f"{tmp_path}/config.yaml:4:13: unknown mode 'tvv' (did you mean 'tv'?)"


def test_audio_with_both_sink_and_description(tmp_path: Path) -> None:
    tv = "name: tv\naudio:\n  sink: hdmi\n  description: '*TV*'\n"
    error = config_error(tmp_path, None, {"desk.yaml": DESK, "tv.yaml": tv})
    assert str(error) == (f"{tmp_path}/modes/tv.yaml:3:3: audio needs exactly one of 'sink' or 'description' "
                          "(sink: exact name or glob, description: glob on the description)")


def test_hook_argv_given_as_a_string(tmp_path: Path) -> None:
    tv = "name: tv\nhooks:\n  before:\n    - argv: notify-send hello\n"
    error = config_error(tmp_path, None, {"desk.yaml": DESK, "tv.yaml": tv})
    assert str(error) == (f"{tmp_path}/modes/tv.yaml:4:13: a command must be a list of arguments, not a string "
                          "(write it as ['notify-send', 'hello'])")


@pytest.mark.parametrize("text", ["", "\n", "# only a comment\n", "---\n", "~\n"])
def test_empty_mode_file(tmp_path: Path, text: str) -> None:
    error = config_error(tmp_path, None, {"desk.yaml": DESK, "tv.yaml": text})
    assert str(error) == f"{tmp_path}/modes/tv.yaml:1:1: the mode file is empty (see modes/tv.yaml)"


def test_no_modes_at_all(tmp_path: Path) -> None:
    error = config_error(tmp_path, "default_mode: desk\n", {})
    assert str(error).startswith(f"{tmp_path}/config.yaml: no modes found in {tmp_path}/modes")


def test_a_value_with_a_newline_stays_on_one_line(tmp_path: Path) -> None:
    error = config_error(tmp_path, 'libvirt: "qemu\\n:///system"\n')
    assert str(error) == f"{tmp_path}/config.yaml:1:10: expected a mapping, got 'qemu\\n:///system'"


# --- the shipped modes -------------------------------------------------------------------------

def test_shipped_modes_validate(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"modes_dirs: [{REPO / 'modes'}]\n")
    config = load_config(path, required=True)
    assert sorted(config.modes) == ["desk", "tv"]
    tv, desk = config.modes["tv"], config.modes["desk"]
    assert tv.vm is VmPower.RUNNING and desk.vm is VmPower.RUNNING
    assert tv.viewer is not None and not tv.viewer.run
    assert desk.viewer is not None and desk.viewer.run and desk.viewer.argv == ("looking-glass-client", "-F")
    assert desk.usb == () and tv.inputs == ()
    assert tv.audio is not None and tv.audio.match_by is SinkMatchBy.NAME
    assert desk.audio is not None and desk.audio.match_by is SinkMatchBy.DESCRIPTION
    assert [rule.kind_only for rule in tv.usb or ()] == [True, False]


def test_shipped_marker(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text('modes_dirs: ["@shipped"]\n')
    config = load_config(path, required=True)
    assert config.modes_dirs == (shipped_modes_dir(),)
    assert sorted(config.modes) == ["desk", "tv"]


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_RUNTIME_DIR": str(home / "run"), "XDG_STATE_HOME": str(home / "state")}
    return subprocess.run([str(MODESWITCH), *args], capture_output=True, text=True, env=env, timeout=60)


def test_check_passes_on_the_shipped_modes(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text('modes_dirs: ["@shipped"]\n')
    done = run_cli("--config", str(path), "check", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "ok"
    assert "mode    desk" in done.stdout and "mode    tv" in done.stdout


def test_check_fails_with_position_on_a_broken_copy(tmp_path: Path) -> None:
    modes = tmp_path / "modes"
    shutil.copytree(REPO / "modes", modes)
    text = (modes / "tv.yaml").read_text()
    assert "\nlooking_glass: false\n" in text
    broken = text.replace("\nlooking_glass: false\n", "\nlooking_glass: maybe\n")
    (modes / "tv.yaml").write_text(broken)
    line = broken.splitlines().index("looking_glass: maybe") + 1
    path = tmp_path / "config.yaml"
    path.write_text("default_mode: desk\n")
    done = run_cli("--config", str(path), "check", home=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == f"modeswitch: {modes}/tv.yaml:{line}:16: expected true or false, got 'maybe'\n"
    assert "Traceback" not in done.stderr


def test_check_with_a_missing_config_file(tmp_path: Path) -> None:
    done = run_cli("--config", str(tmp_path / "absent.yaml"), "check", home=tmp_path)
    assert done.returncode == 1
    assert done.stderr == f"modeswitch: {tmp_path}/absent.yaml: file not found\n"


# --- property: any document is either a config or one readable ConfigError line ---------------

_WORDS = ["libvirt", "uri", "domain", "audio", "server", "default_mode", "toggle", "modes_dirs", "transition",
          "step_timeout", "looking_glass", "grace", "triggers", "combos", "hotplug", "buttons", "action",
          "hold", "mode", "kind", "vendor", "product", "debounce", "name", "vm", "usb", "inputs", "sink",
          "description", "display", "hooks", "before", "after", "argv", "timeout", "undo", "run", "path",
          "serial", "port", "optional", "output", "enabled", "primary", "right_of", "move_streams", "volume",
          "mute", "desk", "tv", "toggle", "gamepad", "running", "any", "select", "start", "@shipped",
          "/dev/input/by-id/kbd", "0x045e", "true", "no"]

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.sampled_from(_WORDS),
    st.text(max_size=12),
)
_keys = st.one_of(st.sampled_from(_WORDS), st.text(max_size=8))
_documents = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=5)),
    max_leaves=25,
)
_texts = st.one_of(
    _documents.map(lambda doc: yaml.safe_dump(doc, allow_unicode=True)),
    st.text(max_size=200),
    st.text(alphabet="{}[]:-,'\"&*!|>#%@ \n\tabc01", max_size=120),
)


def _assert_loads_or_one_line(config_path: Path, mode_path: Path) -> None:
    try:
        load_config(config_path, required=True)
    except ConfigError as exc:
        text = str(exc)
        assert "\n" not in text and "\r" not in text, text
        assert text.startswith((f"{config_path}", f"{mode_path.parent}/")), text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_texts)
def test_random_config_yaml(text: str) -> None:
    with tempfile.TemporaryDirectory() as root:
        path = write_tree(Path(root), None, {"desk.yaml": DESK, "tv.yaml": TV})
        path.write_text(text)
        _assert_loads_or_one_line(path, Path(root) / "modes" / "tv.yaml")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_texts)
def test_random_mode_file(text: str) -> None:
    with tempfile.TemporaryDirectory() as root:
        path = write_tree(Path(root), "default_mode: desk\ntoggle: [desk, desk2]\n",
                          {"desk.yaml": DESK, "desk2.yaml": TV.replace("tv", "desk2"), "tv.yaml": text})
        _assert_loads_or_one_line(path, Path(root) / "modes" / "tv.yaml")
