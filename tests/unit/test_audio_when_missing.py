"""audio.when_missing: a TV that is off either refuses the switch or lets audio follow later."""

from __future__ import annotations

from pathlib import Path

import pytest

from modeswitch.config.loader import load_config
from modeswitch.core.plan import plan
from modeswitch.errors import ConfigError, SinkMissing
from modeswitch.model import Mode, SeatState, StepKind
from modeswitch.parts.audio.spec import AudioObservation, AudioTarget, Sink, SinkMatchBy, WhenMissing
from modeswitch.parts.viewer.spec import ViewerObservation, ViewerSpec

DESK = Sink("alsa_output.usb-Generic_USB_Audio-00.analog-stereo", "Desk speakers")
HDMI = Sink("alsa_output.pci-0000_03_00.1.hdmi-stereo", "HDMI TV")


def seat(*sinks: Sink) -> SeatState:
    audio = AudioObservation("unix:/x", True, default_sink=DESK.name, sinks=sinks)
    return SeatState(audio=audio, viewer=ViewerObservation(running=True, pid=7))


def tv(when: WhenMissing) -> Mode:
    target = AudioTarget("*TV*", SinkMatchBy.DESCRIPTION, when_missing=when)
    return Mode("tv", audio=target, viewer=ViewerSpec(run=False))


def test_fail_refuses_the_whole_switch_and_lists_the_sinks() -> None:
    with pytest.raises(SinkMissing) as caught:
        plan(seat(DESK), tv(WhenMissing.FAIL), [])
    assert "no sink matches description '*TV*'" in str(caught.value)
    assert DESK.name in str(caught.value)


def test_wait_applies_the_rest_and_says_what_it_waits_for() -> None:
    result = plan(seat(DESK), tv(WhenMissing.WAIT), [])
    assert [s.kind for s in result.steps] == [StepKind.VIEWER_STOP]
    assert len(result.notes) == 1
    assert result.notes[0].startswith("audio waits: no sink matches description '*TV*'")


def test_wait_plans_the_sink_once_it_exists() -> None:
    result = plan(seat(DESK, HDMI), tv(WhenMissing.WAIT), [])
    assert [s.kind for s in result.steps] == [StepKind.VIEWER_STOP, StepKind.AUDIO_SINK]
    assert result.notes == ()


def test_config_reads_when_missing_and_rejects_unknown_values(tmp_path: Path) -> None:
    modes = tmp_path / "modes"
    modes.mkdir()
    (modes / "tv.yaml").write_text("audio:\n  sink: '*hdmi*'\n  when_missing: wait\n")
    (modes / "desk.yaml").write_text("looking_glass: true\n")
    config = load_config(tmp_path / "config.yaml")
    assert config.modes["tv"].audio is not None
    assert config.modes["tv"].audio.when_missing is WhenMissing.WAIT
    (modes / "tv.yaml").write_text("audio:\n  sink: '*hdmi*'\n  when_missing: later\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "config.yaml")
    assert str(caught.value).startswith(f"{modes / 'tv.yaml'}:3:17: unknown when_missing 'later'")
