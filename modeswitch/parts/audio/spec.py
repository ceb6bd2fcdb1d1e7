"""The audio part: where host sound goes, and what the sound server has. Pure vocabulary."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class WhenMissing(StrEnum):
    FAIL = "fail"  # the switch is refused, nothing applied
    WAIT = "wait"  # the rest of the mode applies; audio follows when the sink appears


class SinkMatchBy(StrEnum):
    NAME = "name"  # exact sink name, or a glob when it contains * ? [
    DESCRIPTION = "description"  # glob on the human-readable description


@dataclass(frozen=True)
class AudioTarget:
    pattern: str
    match_by: SinkMatchBy = SinkMatchBy.NAME
    move_streams: bool = True
    volume: float | None = None  # 0.0 .. 1.5, None leaves it
    mute: bool | None = None
    when_missing: WhenMissing = WhenMissing.FAIL


@dataclass(frozen=True)
class Sink:
    name: str
    description: str
    index: int = -1
    volume: float | None = None
    mute: bool | None = None


@dataclass(frozen=True)
class Stream:
    index: int
    name: str
    sink: str


@dataclass(frozen=True)
class CardProfile:
    name: str
    description: str = ""
    available: bool = True
    priority: int = 0


@dataclass(frozen=True)
class Card:
    name: str
    active_profile: str
    profiles: tuple[CardProfile, ...] = ()


@dataclass(frozen=True)
class AudioObservation:
    server: str
    connected: bool
    default_sink: str | None = None
    sinks: tuple[Sink, ...] = ()
    streams: tuple[Stream, ...] = ()
    cards: tuple[Card, ...] = ()
    error: str | None = None
    software: str | None = None  # which server answers: "PulseAudio 16.1", "PipeWire 1.4.2 with WirePlumber 0.5.8"
