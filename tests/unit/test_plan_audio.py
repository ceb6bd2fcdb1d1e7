"""Table tests for audio planning on card data captured from real HDMI and USB cards."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from modeswitch.errors import PlanError
from modeswitch.model import StepKind
from modeswitch.parts.audio.plan import plan_audio, profile_sink_names
from modeswitch.parts.audio.spec import AudioObservation, AudioTarget, Card, CardProfile, Sink, SinkMatchBy, Stream

_PROFILE = re.compile(
    r"^\t\t(?P<name>\S+): (?P<description>.*) \(sinks: \d+, sources: \d+, "
    r"priority: (?P<priority>\d+), available: (?P<available>\w+)\)$"
)


def parse_cards(text: str) -> tuple[Card, ...]:
    cards = []
    for block in text.split("\nCard #")[0:]:
        name = re.search(r"^\tName: (\S+)$", block, re.M)
        active = re.search(r"^\tActive Profile: (\S+)$", block, re.M)
        if not name or not active:
            continue
        profiles_text = block.split("\tProfiles:\n", 1)[1].split("\tActive Profile:", 1)[0]
        profiles = []
        for line in profiles_text.splitlines():
            match = _PROFILE.match(line)
            if match:
                profiles.append(
                    CardProfile(
                        match["name"],
                        match["description"],
                        available=match["available"] != "no",
                        priority=int(match["priority"]),
                    )
                )
        cards.append(Card(name[1], active[1], tuple(profiles)))
    return tuple(cards)


def load_cards(filename: str) -> tuple[Card, ...]:
    return parse_cards((Path(__file__).parent / "data" / filename).read_text())


CARDS = load_cards("pactl_cards_nvidia_amd_usb.txt")
NVIDIA = "alsa_card.pci-0000_03_00.1"
DESK = Sink("alsa_output.usb-Generic_USB_Audio-00.analog-stereo", "Desk Speakers", 0, 0.8, False)
TV = Sink("alsa_output.pci-0000_03_00.1.hdmi-stereo-extra1", "GA104 Digital Stereo (HDMI 2)", 1, 1.0, False)
GAME = Stream(7, "Steam", DESK.name)
MUSIC = Stream(9, "Firefox", DESK.name)

AT_DESK = AudioObservation("unix:/run/pulse/native", True, DESK.name, (DESK,), (GAME, MUSIC), CARDS)


def name(pattern: str) -> AudioTarget:
    return AudioTarget(pattern)


def described(pattern: str) -> AudioTarget:
    return AudioTarget(pattern, SinkMatchBy.DESCRIPTION)


def test_captured_cards_parse_like_pactl_shows_them() -> None:
    assert [c.name for c in CARDS] == [
        NVIDIA,
        "alsa_card.pci-0000_0c_00.1",
        "alsa_card.usb-Generic_USB_Audio-00",
    ]
    nvidia = CARDS[0]
    assert nvidia.active_profile == "off"
    assert [p.name for p in nvidia.profiles if p.available] == [
        "output:hdmi-stereo-extra1",
        "output:hdmi-surround-extra1",
        "off",
    ]


@pytest.mark.parametrize(
    ("profile", "sinks"),
    [
        ("output:hdmi-stereo", ["alsa_output.pci-0000_03_00.1.hdmi-stereo"]),
        ("output:analog-stereo+input:analog-stereo", ["alsa_output.pci-0000_03_00.1.analog-stereo"]),
        ("input:analog-stereo", []),
        ("off", []),
    ],
)
def test_sink_names_follow_alsa_card_naming(profile: str, sinks: list[str]) -> None:
    card = Card(NVIDIA, "off")
    assert profile_sink_names(card, dataclasses.replace(CARDS[0].profiles[0], name=profile)) == sinks


@pytest.mark.parametrize(
    ("target", "profile", "sink"),
    [
        (name(TV.name), "output:hdmi-stereo-extra1", TV.name),
        # the glob also matches HDMI 1/3/4 and the AMD card, all unplugged: only HDMI 2 is usable
        (name("*hdmi-stereo*"), "output:hdmi-stereo-extra1", TV.name),
        (described("Digital Stereo (HDMI 2)*"), "output:hdmi-stereo-extra1", TV.name),
        (
            described("*5.1 (HDMI 2)*"),
            "output:hdmi-surround-extra1",
            "alsa_output.pci-0000_03_00.1.hdmi-surround-extra1",
        ),
    ],
)
def test_missing_hdmi_sink_switches_the_card_profile_first(target: AudioTarget, profile: str, sink: str) -> None:
    profiles, sinks = plan_audio(target, AT_DESK)
    assert [(s.kind, s.target, dict(s.args)) for s in profiles] == [
        (StepKind.AUDIO_PROFILE, NVIDIA, {"card": NVIDIA, "profile": profile})
    ]
    assert profiles[0].undo is not None
    assert dict(profiles[0].undo.args) == {"card": NVIDIA, "profile": "off"}
    [step] = sinks
    assert step.kind is StepKind.AUDIO_SINK and step.args["sink"] == sink
    assert step.args["moves"] == ((7, sink), (9, sink))
    assert step.undo is not None
    assert step.undo.args["sink"] == DESK.name
    assert step.undo.args["moves"] == ((7, DESK.name), (9, DESK.name))


@pytest.mark.parametrize(
    ("target", "message", "listed"),
    [
        (described("*HDMI 2*"), "is ambiguous", ["output:hdmi-stereo-extra1", "output:hdmi-surround-extra1"]),
        (name("*hdmi*"), "is ambiguous", ["hdmi-stereo-extra1", "hdmi-surround-extra1"]),
        (
            name("alsa_output.pci-0000_0c_00.1.hdmi-stereo"),
            "unavailable",
            ["pci-0000_0c_00.1 profile output:hdmi-stereo"],
        ),
        (name("*bluez*"), "no sink matches name '*bluez*'", [DESK.name, "Desk Speakers"]),
        (described("*Headphones*"), "no sink matches description", [DESK.name]),
    ],
)
def test_unplannable_targets_name_the_candidates(target: AudioTarget, message: str, listed: list[str]) -> None:
    with pytest.raises(PlanError) as caught:
        plan_audio(target, AT_DESK)
    text = str(caught.value)
    assert message in text and "\n" not in text
    for candidate in listed:
        assert candidate in text


def test_two_matching_sinks_are_ambiguous() -> None:
    seen = dataclasses.replace(AT_DESK, sinks=(DESK, TV))
    with pytest.raises(PlanError, match="ambiguous.*Desk Speakers.*HDMI 2"):
        plan_audio(name("alsa_output.*"), seen)


def test_existing_sink_wins_over_a_profile_switch() -> None:
    seen = dataclasses.replace(AT_DESK, sinks=(DESK, TV))
    profiles, sinks = plan_audio(name("*hdmi-stereo*"), seen)
    assert profiles == [] and [s.target for s in sinks] == [TV.name]


def test_profiles_of_one_card_that_create_the_same_sink_pick_the_highest_priority() -> None:
    usb = dataclasses.replace(CARDS[2], active_profile="input:analog-stereo")
    seen = AudioObservation("s", True, TV.name, (TV,), (), (usb,))
    profiles, sinks = plan_audio(described("Analog Stereo*"), seen)
    assert profiles[0].args["profile"] == "output:analog-stereo+input:analog-stereo"
    assert sinks[0].args["sink"] == DESK.name


def test_mode_already_in_place_plans_nothing() -> None:
    assert plan_audio(described("Desk*"), AT_DESK) == ([], [])
    assert plan_audio(None, None) == ([], [])


def test_only_streams_elsewhere_are_moved_and_move_streams_off_leaves_them() -> None:
    seen = dataclasses.replace(AT_DESK, sinks=(DESK, TV), streams=(GAME, dataclasses.replace(MUSIC, sink=TV.name)))
    [step] = plan_audio(name(TV.name), seen)[1]
    assert step.args["moves"] == ((7, TV.name),)
    quiet = AudioTarget(TV.name, move_streams=False)
    [step] = plan_audio(quiet, seen)[1]
    assert step.args["moves"] == ()


def test_volume_and_mute_are_planned_with_an_exact_undo() -> None:
    target = AudioTarget(DESK.name, volume=0.5, mute=True)
    [step] = plan_audio(target, AT_DESK)[1]
    assert (step.args["volume"], step.args["mute"]) == (0.5, True)
    assert step.undo is not None
    assert (step.undo.args["volume"], step.undo.args["mute"], step.undo.args["volume_sink"]) == (
        0.8,
        False,
        DESK.name,
    )


def test_an_unreachable_server_is_a_plan_error_with_its_reason() -> None:
    down = AudioObservation("unix:/tmp/x/native", False, error="no sound server at unix:/tmp/x/native")
    with pytest.raises(PlanError, match="unix:/tmp/x/native"):
        plan_audio(name("*"), down)


def test_a_profile_chosen_by_description_is_found_again_once_its_sink_exists() -> None:
    target = described("Digital Stereo (HDMI 2)*")
    [profile], [sink_step] = plan_audio(target, AT_DESK)
    nvidia = dataclasses.replace(CARDS[0], active_profile=profile.args["profile"])
    moved = tuple(dataclasses.replace(s, sink=TV.name) for s in AT_DESK.streams)
    after = AudioObservation("s", True, TV.name, (DESK, TV), moved, (nvidia, *CARDS[1:]))
    assert plan_audio(target, after) == ([], [])
