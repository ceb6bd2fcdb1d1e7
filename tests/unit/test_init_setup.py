"""init: ranking what was found, rendering modes that `check` accepts, never clobbering,
and the prompts (scripted answers on the same streams a terminal gives)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from doctor_machine import FIXTURES, KEYBOARD, MOUSE

from modeswitch.cli.initcmd import Prompter, edit, summary
from modeswitch.config.loader import load_config
from modeswitch.doctor.domain import parse_domain
from modeswitch.parts.audio.spec import Card, CardProfile, Sink, WhenMissing
from modeswitch.parts.usb.spec import UsbDevice
from modeswitch.setup.discover import Discovery
from modeswitch.setup.files import planned, write
from modeswitch.setup.propose import HDMI_GLOB, is_desk, is_hdmi, propose

HDMI = Sink("alsa_output.pci-0000_01_00.1.hdmi-stereo", "GA104 High Definition Audio Controller Digital Stereo (HDMI)")
ANALOG = Sink("alsa_output.pci-0000_0b_00.4.analog-stereo", "Starship/Matisse HD Audio Controller Analog Stereo")
USB = Sink("alsa_output.usb-Generic_USB_Audio-00.analog-stereo", "Desk Speakers")
DP = Sink("alsa_output.pci-0000_0c_00.1.hdmi-stereo-extra2", "Navi 21 DisplayPort 3")
PAD = UsbDevice(0x045E, 0x028E, 1, 5, "1-2", name="Controller", kind="gamepad")
KVMFR = parse_domain((FIXTURES / "win11-kvmfr.xml").read_text())
PLAIN = parse_domain("<domain><name>debian</name><devices/></domain>")


def everything() -> Discovery:
    return Discovery(uri="qemu:///system", domains=(PLAIN, KVMFR), running=("debian",),
                     keyboards=(KEYBOARD, "/dev/input/by-id/usb-Logitech_G513_Keyboard-if01-event-kbd"),
                     mice=(MOUSE,), pads=(PAD,), sinks=(ANALOG, HDMI, USB),
                     looking_glass="/usr/bin/looking-glass-client")


@pytest.mark.parametrize(("sink", "hdmi", "desk"), [(HDMI, True, False), (DP, True, False), (ANALOG, False, True),
                                                    (USB, False, True), (Sink("null", "Dummy Output"), False, False)])
def test_sink_kinds(sink: Sink, hdmi: bool, desk: bool) -> None:
    assert (is_hdmi(sink), is_desk(sink)) == (hdmi, desk)


def test_proposal_prefers_the_passthrough_domain_and_real_devices() -> None:
    proposal = propose(everything())
    assert proposal.domain == "win11" and proposal.domain_found and proposal.agent_channel is True
    assert (proposal.keyboard, proposal.mouse) == (KEYBOARD, MOUSE)
    assert proposal.tv_sink.pattern == HDMI.name
    assert proposal.desk_sink is not None and proposal.desk_sink.pattern == ANALOG.name
    assert proposal.choices["domain"] == ["win11", "debian"]


def test_an_hdmi_profile_that_is_off_proposes_the_glob_too() -> None:
    card = Card("alsa_card.pci-0000_01_00.1", "off", (CardProfile("output:hdmi-stereo", "Digital Stereo (HDMI)"),))
    proposal = propose(Discovery(uri="qemu:///system", sinks=(ANALOG,), cards=(card,)))
    assert proposal.tv_sink.pattern == HDMI_GLOB and "card profile" in proposal.tv_sink.label


def test_written_files_name_the_devices_and_pass_check(tmp_path: Path) -> None:
    report = write(planned(tmp_path / "config.yaml", propose(everything())), lambda _p: False)
    assert [line.split()[0] for line in report] == ["wrote"] * 3
    config = load_config(tmp_path / "config.yaml", required=True)
    assert config.domain == "win11" and sorted(config.modes) == ["desk", "tv"]
    desk, tv = config.modes["desk"], config.modes["tv"]
    assert [i.path for i in desk.inputs or ()] == [KEYBOARD, MOUSE]
    assert desk.audio is not None and desk.audio.pattern == ANALOG.name
    assert desk.viewer is not None and desk.viewer.run
    assert tv.audio is not None and tv.audio.pattern == HDMI.name and tv.audio.when_missing is WhenMissing.WAIT
    assert [(u.vendor, u.product, u.optional) for u in tv.usb or ()] == [(0x045E, 0x028E, True)]


def test_nothing_found_still_writes_valid_commented_modes(tmp_path: Path) -> None:
    found = Discovery(uri="qemu:///system", missing=("libvirt domains: cannot reach libvirt",))
    write(planned(tmp_path / "config.yaml", propose(found)), lambda _p: False)
    config = load_config(tmp_path / "config.yaml", required=True)
    assert config.modes["desk"].inputs is None and config.modes["desk"].audio is None
    assert config.modes["tv"].usb is not None and config.modes["tv"].usb[0].kind == "gamepad"
    assert "# inputs:" in (tmp_path / "modes" / "desk.yaml").read_text()
    assert "not found libvirt domains: cannot reach libvirt" in summary(found, propose(found))


def test_existing_files_are_kept_unless_replacing_is_allowed_then_backed_up(tmp_path: Path) -> None:
    files = planned(tmp_path / "config.yaml", propose(everything()))
    (tmp_path / "modes").mkdir()
    (tmp_path / "modes" / "tv.yaml").write_text("name: tv\n# mine\n")
    kept = write(files, lambda _p: False)
    assert kept[1].startswith("kept") and (tmp_path / "modes" / "tv.yaml").read_text() == "name: tv\n# mine\n"
    assert write(files, lambda _p: False)[0].startswith("unchanged")
    replaced = write(files, lambda _p: True)
    assert replaced[1].startswith("replaced")
    assert (tmp_path / "modes" / "tv.yaml.bak").read_text() == "name: tv\n# mine\n"
    (tmp_path / "modes" / "tv.yaml").write_text("name: tv\n# second edit\n")
    write(files, lambda _p: True)
    assert (tmp_path / "modes" / "tv.yaml.bak2").read_text() == "name: tv\n# second edit\n"


def test_prompts_pick_by_number_keep_on_enter_and_take_typed_names() -> None:
    answers = io.StringIO("2\n\n/dev/input/by-id/usb-Other_Mouse-event-mouse\n1\n\n")
    out = io.StringIO()
    found = everything()
    found = Discovery(**{**found.__dict__, "mice": (MOUSE, "/dev/input/by-id/usb-Two-event-mouse")})
    proposal = edit(propose(found), Prompter(answers, out))
    # asked in order: tv sink (1 option: not asked), desk sink, domain, keyboard, mouse
    assert proposal.desk_sink is not None and proposal.desk_sink.pattern == USB.name
    assert proposal.domain == "win11"
    assert proposal.keyboard == "/dev/input/by-id/usb-Other_Mouse-event-mouse"  # typed by hand
    assert proposal.mouse == MOUSE
    assert "desk sink [1]: " in out.getvalue() and "  2) debian" in out.getvalue()


def test_confirm_defaults_to_no() -> None:
    prompter = Prompter(io.StringIO("\nyes\nn\n"), io.StringIO())
    assert [prompter.confirm("replace?") for _ in range(3)] == [False, True, False]
