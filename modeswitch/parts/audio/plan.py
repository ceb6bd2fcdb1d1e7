"""Planning for where host audio goes. Pure: works on an AudioObservation only.

An HDMI sink usually does not exist until its card runs the right profile (the card sits on
`off` or another HDMI port while the TV is unused), so when no sink matches we look for a card
profile that would create one, and plan the profile switch before the sink switch.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from modeswitch.errors import PlanError, SinkMissing
from modeswitch.model import Step, StepKind
from modeswitch.observed import describe_sinks
from modeswitch.parts.audio.spec import AudioObservation, AudioTarget, Card, CardProfile, Sink, SinkMatchBy, WhenMissing
from modeswitch.parts.part import PartPlan, PlanContext, Slot

ALSA_CARD_PREFIX = "alsa_card."
ALSA_SINK_PREFIX = "alsa_output."
OUTPUT_PREFIX = "output:"


def _is_glob(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


def _name_matches(target: AudioTarget, name: str) -> bool:
    if _is_glob(target.pattern):
        return fnmatchcase(name, target.pattern)
    return name == target.pattern


def matching_sinks(target: AudioTarget, sinks: tuple[Sink, ...], cards: tuple[Card, ...] = ()) -> list[Sink]:
    """A description glob also matches the sink of a card's active profile whose description
    matches: a profile chosen by its description ("Digital Stereo (HDMI 2) Output") creates a
    sink described differently ("GA104 … Digital Stereo (HDMI 2)"), and the next plan must
    still find it rather than fail."""
    if target.match_by is SinkMatchBy.NAME:
        return [s for s in sinks if _name_matches(target, s.name)]
    created = {
        name
        for card in cards
        for profile in card.profiles
        if profile.name == card.active_profile and fnmatchcase(profile.description, target.pattern)
        for name in profile_sink_names(card, profile)
    }
    return [s for s in sinks if fnmatchcase(s.description, target.pattern) or s.name in created]


def _what(target: AudioTarget) -> str:
    return f"{target.match_by.value} '{target.pattern}'"


@dataclass(frozen=True)
class ProfileOffer:
    """A card profile that is not active but would create a sink matching the target."""

    card: Card
    profile: CardProfile
    sink_name: str

    @property
    def label(self) -> str:
        return f"{self.card.name} profile {self.profile.name} ({self.profile.description})"


def profile_sink_names(card: Card, profile: CardProfile) -> list[str]:
    """The sinks PulseAudio's ALSA card module creates for a profile: one per output mapping.

    module-alsa-card names them alsa_output.<card name minus alsa_card.>.<mapping>, and a
    profile is `output:<mapping>[+input:<mapping>]`.
    """
    base = card.name.removeprefix(ALSA_CARD_PREFIX)
    outputs = [part for part in profile.name.split("+") if part.startswith(OUTPUT_PREFIX)]
    return [f"{ALSA_SINK_PREFIX}{base}.{part.removeprefix(OUTPUT_PREFIX)}" for part in outputs]


def profile_offers(target: AudioTarget, cards: tuple[Card, ...]) -> list[ProfileOffer]:
    """Every inactive profile on any card whose sink would match the target."""
    offers = []
    for card in cards:
        for profile in card.profiles:
            if profile.name == card.active_profile:
                continue
            for sink_name in profile_sink_names(card, profile):
                if target.match_by is SinkMatchBy.DESCRIPTION:
                    hit = fnmatchcase(profile.description, target.pattern)
                else:
                    hit = _name_matches(target, sink_name)
                if hit:
                    offers.append(ProfileOffer(card, profile, sink_name))
    return offers


def resolve_profile(target: AudioTarget, audio: AudioObservation) -> ProfileOffer:
    """The available profile that provides the target sink.

    Unavailable profiles are never chosen: PulseAudio marks them so when the port has nothing
    plugged in (HDMI with the TV off), and switching to them would give a silent sink.
    """
    offers = profile_offers(target, audio.cards)
    usable = [offer for offer in offers if offer.profile.available]
    if len({offer.sink_name for offer in usable}) > 1:
        labels = "; ".join(offer.label for offer in usable)
        raise PlanError(f"{_what(target)} is ambiguous: {labels}", "make the pattern narrower")
    if usable:
        # Several profiles of one card can create the same sink (output only, or duplex):
        # that is no ambiguity about where sound goes, so take the one PulseAudio ranks first.
        return max(usable, key=lambda offer: offer.profile.priority)
    if offers:
        labels = "; ".join(offer.label for offer in offers)
        raise SinkMissing(
            f"no sink matches {_what(target)} and the profiles that would provide it are unavailable: {labels}",
            "is the TV switched on and connected?",
        )
    raise SinkMissing(f"no sink matches {_what(target)}", describe_sinks(audio.sinks))


def resolve_sink(target: AudioTarget, audio: AudioObservation) -> Sink:
    found = matching_sinks(target, audio.sinks, audio.cards)
    if len(found) > 1:
        names = ", ".join(f"{s.name} ({s.description})" for s in found)
        raise PlanError(f"{_what(target)} is ambiguous: {names}", "make the pattern narrower")
    if not found:
        raise PlanError(f"no sink matches {_what(target)}", describe_sinks(audio.sinks))
    return found[0]


def _profile_step(offer: ProfileOffer) -> Step:
    card = offer.card
    undo = Step.make(
        StepKind.AUDIO_PROFILE,
        card.name,
        f"restore {card.name} profile {card.active_profile}",
        {"card": card.name, "profile": card.active_profile},
    )
    return Step.make(
        StepKind.AUDIO_PROFILE,
        card.name,
        f"{card.name} profile {offer.profile.name} ({offer.profile.description})",
        {"card": card.name, "profile": offer.profile.name},
        undo,
    )


def _sink_steps(target: AudioTarget, audio: AudioObservation, sink: Sink, appears: bool = False) -> list[Step]:
    stray = tuple((s.index, s.sink) for s in audio.streams if s.sink != sink.name)
    volume_ok = target.volume is None or sink.volume is None or abs(sink.volume - target.volume) < 0.01
    mute_ok = target.mute is None or sink.mute == target.mute
    in_place = audio.default_sink == sink.name and (not stray or not target.move_streams)
    if in_place and volume_ok and mute_ok:
        return []
    indices = {s.name: s.index for s in audio.sinks}  # the step acts on what was observed
    forward = {
        "sink": sink.name,
        "moves": tuple((index, sink.name) for index, _ in stray) if target.move_streams else (),
        "sink_indices": indices,
        "volume": target.volume,
        "mute": target.mute,
        "appears": appears,  # created by the profile step before it: the backend waits for it
        "wait": target.when_missing is WhenMissing.WAIT,  # a sink gone meanwhile is waited for, not a failure
    }
    back = {
        "sink": audio.default_sink,
        "moves": stray if target.move_streams else (),
        "sink_indices": indices,
        "volume": sink.volume if target.volume is not None else None,
        "mute": sink.mute if target.mute is not None else None,
        "volume_sink": sink.name,
    }
    previous = audio.default_sink or "no default sink"
    undo = Step.make(StepKind.AUDIO_SINK, previous, f"restore audio to {previous}", back)
    described = f"audio to {sink.name} ({sink.description})"
    return [Step.make(StepKind.AUDIO_SINK, sink.name, described, forward, undo)]


def _require_connected(audio: AudioObservation | None) -> AudioObservation:
    if audio is None or not audio.connected:
        reason = audio.error if audio and audio.error else "no audio server"
        raise PlanError(f"cannot reach the sound server: {reason}")
    return audio


def plan_audio(target: AudioTarget | None, audio: AudioObservation | None) -> tuple[list[Step], list[Step]]:
    """(profile steps, sink steps) that make `target` the default and move streams to it.

    An existing matching sink always wins over switching a card profile: switching would tear
    down whatever that card is playing now.
    """
    if target is None:
        return [], []
    audio = _require_connected(audio)
    if matching_sinks(target, audio.sinks, audio.cards):
        return [], _sink_steps(target, audio, resolve_sink(target, audio))
    offer = resolve_profile(target, audio)
    planned = Sink(offer.sink_name, offer.profile.description)
    return [_profile_step(offer)], _sink_steps(target, audio, planned, appears=True)


def plan_audio_part(ctx: PlanContext) -> PartPlan:
    """A card profile changes while devices are released, the default sink with the rest.
    With `when_missing: wait` a missing sink is a note: the rest of the mode applies and audio
    follows when the sink appears."""
    target = ctx.target.audio
    try:
        profile, sink = plan_audio(target, ctx.state.audio)
    except SinkMissing as exc:
        if target is None or target.when_missing is not WhenMissing.WAIT:
            raise
        return PartPlan(notes=(f"audio waits: {exc}",))
    return PartPlan.at(Slot.RELEASE, profile) + PartPlan.at(Slot.ACQUIRE, sink)
