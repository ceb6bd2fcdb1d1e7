"""Reading WirePlumber's state files and PipeWire/WirePlumber rules for what pins streams.
The 0.4 texts are as WirePlumber 0.4.13 wrote them here; the 0.5 line is its stream-properties
shape (one JSON value per stream key)."""

from __future__ import annotations

import pytest

from modeswitch.parts.audio.memory import Pin, rule_pins, saved_default, saved_pins, saved_profiles

TV = "alsa_output.pci-0000_03_00.1.hdmi-stereo"
DESK = "alsa_output.usb-Generic_USB_Audio-00.analog-stereo"
RESTORE_STREAM_04 = f"""[restore-stream]
Audio/Sink:node.name:{TV}:volume=1.0
Output/Audio:application.name:game:channelMap=FL;FR;
Output/Audio:application.name:game:target={TV}
Output/Audio:application.name:game:volume=1.0
Output/Audio:media.role:Music:target={DESK}
Output/Audio:application.name:music:volume=0.5
Input/Audio:application.name:voice:target=alsa_input.usb-mic
"""
STREAM_PROPERTIES_05 = f"""[stream-properties]
Output/Audio:application.name:game={{"volume":1.0, "mute":false, "target":"{TV}"}}
Output/Audio:application.name:music={{"volume":0.5, "mute":false}}
Output/Audio:application.name:broken={{not json
"""


@pytest.mark.parametrize(("restore", "properties", "expected"), [
    (RESTORE_STREAM_04, None, [Pin("game", TV, "S/restore-stream"), Pin("role Music", DESK, "S/restore-stream")]),
    (None, STREAM_PROPERTIES_05, [Pin("game", TV, "S/stream-properties")]),
    ("[restore-stream]\nOutput/Audio:application.name:game:volume=1.0\n", None, []),
    (None, None, []),
    ("[restore-stream]\nOutput/Audio:application.name:game:target=\n", None, []),  # cleared
])
def test_saved_pins(restore: str | None, properties: str | None, expected: list[Pin]) -> None:
    assert saved_pins(restore, properties, "S") == expected


def test_saved_default_and_profiles() -> None:
    nodes = f"[default-nodes]\ndefault.configured.audio.sink={TV}\ndefault.configured.audio.sink.0={TV}\n"
    assert saved_default(nodes) == TV
    assert saved_default("[default-nodes]\n") is None and saved_default(None) is None
    profile = "[default-profile]\nalsa_card.pci-0000_03_00.1=output:hdmi-stereo\n"
    assert saved_profiles(profile) == {"alsa_card.pci-0000_03_00.1": "output:hdmi-stereo"}


@pytest.mark.parametrize(("where", "text", "expected"), [
    ("p/pipewire-pulse.conf.d/50.conf",
     'pulse.rules = [\n  { matches = [ { application.name = "game" } ]\n'
     f'    actions = {{ update-props = {{ target.object = "{DESK}" }} }} }}\n]\n',
     [Pin("the streams its rule matches (target.object)", DESK, "p/pipewire-pulse.conf.d/50.conf:3")]),
    ("w/wireplumber.conf.d/51.conf",
     f"stream.rules = [ {{ actions = {{ update-props = {{ node.target = {TV} }} }} }} ]",
     [Pin("the streams its rule matches (node.target)", TV, "w/wireplumber.conf.d/51.conf:1")]),
    ("w/main.lua.d/51.lua", f'  apply_properties = {{ ["node.target"] = "{TV}", }},\n',
     [Pin("the streams its rule matches (node.target)", TV, "w/main.lua.d/51.lua:1")]),
    ("w/x.conf", f'# update-props = {{ target.object = "{TV}" }}\n', []),  # a comment
    ("w/x.lua", f'-- ["node.target"] = "{TV}"\n', []),
    ("w/x.conf", "stream.rules = [ { actions = { update-props = { state.restore-target = false } } } ]\n", []),
])
def test_rule_pins(where: str, text: str, expected: list[Pin]) -> None:
    assert rule_pins(where, text) == expected
