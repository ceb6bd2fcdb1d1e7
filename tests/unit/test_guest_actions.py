"""Guest actions: the mode key (errors at file:line:col), the plan (order, undo, only when
entering, a domain without the agent channel refused), and their output in the history."""

from __future__ import annotations

from pathlib import Path

import pytest

from modeswitch.config.loader import load_config
from modeswitch.core.engine import StepRecord
from modeswitch.core.plan import plan
from modeswitch.errors import ConfigError, PlanError
from modeswitch.model import Mode, SeatState, Step, StepKind
from modeswitch.parts.guest.plan import guest_step
from modeswitch.parts.guest.spec import GuestAction, GuestKeys, GuestSession
from modeswitch.parts.usb.spec import UsbMatch
from modeswitch.parts.vm.spec import VmObservation, VmPower

DESK = "name: desk\nvm: running\n"


def load_modes(tmp_path: Path, tv: str) -> dict[str, Mode]:
    (tmp_path / "modes").mkdir(parents=True)
    (tmp_path / "modes" / "desk.yaml").write_text(DESK)
    (tmp_path / "modes" / "tv.yaml").write_text(tv)
    (tmp_path / "config.yaml").write_text("libvirt: {domain: win11}\n")
    return load_config(tmp_path / "config.yaml", required=True).modes


def test_guest_actions_are_read_with_defaults(tmp_path: Path) -> None:
    tv = ("name: tv\nguest:\n  - argv: ['C:\\Windows\\System32\\DisplaySwitch.exe', /external]\n"
          "    undo: ['C:\\Windows\\System32\\DisplaySwitch.exe', /internal]\n"
          "  - {argv: [powershell, -Command, 'Set-AudioDevice 1'], timeout: 10}\n")
    assert load_modes(tmp_path, tv)["tv"].guest == (
        GuestAction(("C:\\Windows\\System32\\DisplaySwitch.exe", "/external"), 30.0,
                    ("C:\\Windows\\System32\\DisplaySwitch.exe", "/internal")),
        GuestAction(("powershell", "-Command", "Set-AudioDevice 1"), 10.0, None),
    )
    assert load_modes(tmp_path / "other", DESK.replace("desk", "tv"))["tv"].guest is None


@pytest.mark.parametrize(("tv", "where", "message"), [
    ("name: tv\nguest:\n  - timeout: 5\n", "3:5", "a guest entry needs 'argv' (a program) or 'keys'"),
    ("name: tv\nguest:\n  - argv: DisplaySwitch.exe /external\n", "3:11",
     "a command must be a list of arguments, not a string"),
    ("name: tv\nguest:\n  - argv: [x]\n    timeout: 0\n", "4:14", ""),
    ("name: tv\nguest:\n  - argv: [x]\n    undoo: [y]\n", "4:5", "undo"),
    ("name: tv\nguest: {argv: [x]}\n", "2:8", ""),
])
def test_guest_action_errors_name_the_place(tmp_path: Path, tv: str, where: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_modes(tmp_path, tv)
    text = str(caught.value)
    assert text.startswith(f"{tmp_path}/modes/tv.yaml:{where}: "), text
    assert message in text and "\n" not in text


SHOW_TV = GuestAction(("DisplaySwitch.exe", "/external"), 30.0, ("DisplaySwitch.exe", "/internal"))
AUDIO = GuestAction(("SoundVolumeView.exe", "/SetDefault", "HDMI"), 10.0)
TV = Mode("tv", vm=VmPower.RUNNING, usb=(UsbMatch("pads", vendor=0x045E, optional=True),), guest=(SHOW_TV, AUDIO))
RUNNING = VmObservation("win11", True, "running", agent="connected")
SHUT_OFF = VmObservation("win11", True, "shutoff", agent="vm-off")


def kinds(result: object) -> list[list[tuple[str, str]]]:
    return [[(s.kind.value, s.target) for s in group] for group in result.groups]  # type: ignore[attr-defined]


def test_guest_actions_run_after_the_vm_starts_in_listed_order() -> None:
    result = plan(SeatState(vm=SHUT_OFF), TV, [TV])
    assert kinds(result) == [[("vm.start", "win11")], [("guest", "DisplaySwitch.exe")],
                             [("guest", "SoundVolumeView.exe")]]
    first, second = result.groups[1][0], result.groups[2][0]
    assert first.args == {"argv": ("DisplaySwitch.exe", "/external"), "timeout": 30.0}
    assert first.undo is not None and first.undo.kind is StepKind.GUEST
    assert first.undo.args["argv"] == ("DisplaySwitch.exe", "/internal")
    assert second.undo is None and second.args["timeout"] == 10.0


def test_guest_actions_only_when_entering_the_mode() -> None:
    assert plan(SeatState(vm=RUNNING), TV, [TV]).empty
    entering = plan(SeatState(vm=RUNNING), TV, [TV], entering=True)
    assert kinds(entering) == [[("guest", "DisplaySwitch.exe")], [("guest", "SoundVolumeView.exe")]]


def test_a_domain_without_the_agent_channel_is_refused_with_the_xml() -> None:
    no_channel = VmObservation("win11", True, "running", agent="no-channel")
    with pytest.raises(PlanError) as caught:
        plan(SeatState(vm=no_channel), TV, [TV], entering=True)
    text = str(caught.value)
    assert "domain 'win11' has no org.qemu.guest_agent.0 channel" in text
    assert "<target type='virtio' name='org.qemu.guest_agent.0'/>" in text and "\n" not in text


def test_guest_step_descriptions() -> None:
    step = guest_step(SHOW_TV)
    assert step.description == "guest DisplaySwitch.exe /external"
    assert step.undo is not None and step.undo.description == "undo guest DisplaySwitch.exe /internal"


def test_step_output_goes_into_the_record_only_when_there_is_some() -> None:
    step = Step.make(StepKind.GUEST, "x", "guest x")
    assert "output" not in StepRecord(step, True, 1.0).as_dict()
    assert StepRecord(step, True, 1.0, output="moved to TV\n").as_dict()["output"] == "moved to TV\n"


def _commented_blocks(name: str) -> list[str]:
    """Each commented `# guest:` block of a shipped mode file, uncommented."""
    lines = (Path(__file__).resolve().parents[2] / "modes" / f"{name}.yaml").read_text().splitlines()
    blocks = []
    for start in [n for n, line in enumerate(lines) if line == "# guest:"]:
        block = []
        for line in lines[start:]:
            if not line.startswith("#"):
                break
            block.append(line[2:])
        blocks.append("\n".join(block) + "\n")
    return blocks


@pytest.mark.parametrize("name", ["tv", "desk"])
def test_the_shipped_commented_guest_examples_load_when_uncommented(tmp_path: Path, name: str) -> None:
    """The Windows examples run in the user's session, each with its undo; the second variant
    leaves the audio device to SoundSwitch's hotkey."""
    from modeswitch.config.modes import load_mode

    programs, with_hotkey = _commented_blocks(name)
    (tmp_path / f"{name}.yaml").write_text(f"name: {name}\n" + programs)
    mode, _ = load_mode(tmp_path / f"{name}.yaml")
    assert mode.guest is not None and len(mode.guest) == 2
    assert all(isinstance(a, GuestAction) and a.undo is not None and a.session is GuestSession.USER
               for a in mode.guest)
    first, audio = mode.guest
    assert isinstance(first, GuestAction) and isinstance(audio, GuestAction)
    assert first.argv[0] == "C:\\Tools\\MultiMonitorTool.exe" and "\\\\.\\DISPLAY1" in first.argv
    assert audio.argv[0] == "C:\\Tools\\SoundVolumeView.exe" and audio.argv[-1] == "all"
    (tmp_path / f"{name}.yaml").write_text(f"name: {name}\n" + with_hotkey)
    mode, _ = load_mode(tmp_path / f"{name}.yaml")
    assert mode.guest is not None and mode.guest[0] == first
    hotkey = mode.guest[1]
    assert isinstance(hotkey, GuestKeys) and hotkey.keys.names == ("KEY_LEFTCTRL", "KEY_LEFTALT", "KEY_F11")
    assert hotkey.undo == hotkey.keys and hotkey.hold == 0.05
