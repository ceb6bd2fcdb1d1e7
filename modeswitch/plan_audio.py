"""Planning for where host audio goes. Pure: works on an AudioObservation only."""

from __future__ import annotations

from fnmatch import fnmatchcase

from modeswitch.errors import PlanError
from modeswitch.model import AudioObservation, AudioTarget, Sink, SinkMatchBy, Step, StepKind


def _is_glob(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


def matching_sinks(target: AudioTarget, sinks: tuple[Sink, ...]) -> list[Sink]:
    if target.match_by is SinkMatchBy.DESCRIPTION:
        return [s for s in sinks if fnmatchcase(s.description, target.pattern)]
    if _is_glob(target.pattern):
        return [s for s in sinks if fnmatchcase(s.name, target.pattern)]
    return [s for s in sinks if s.name == target.pattern]


def describe_sinks(sinks: tuple[Sink, ...]) -> str:
    if not sinks:
        return "the server has no sinks"
    return "sinks: " + "; ".join(f"{s.name} ({s.description})" for s in sinks)


def resolve_sink(target: AudioTarget, audio: AudioObservation) -> Sink:
    found = matching_sinks(target, audio.sinks)
    what = f"{target.match_by.value} '{target.pattern}'"
    if not found:
        raise PlanError(f"no sink matches {what}", describe_sinks(audio.sinks))
    if len(found) > 1:
        names = ", ".join(s.name for s in found)
        raise PlanError(f"{what} is ambiguous: {names}", "make the pattern narrower")
    return found[0]


def plan_audio(target: AudioTarget | None, audio: AudioObservation | None) -> tuple[list[Step], list[Step]]:
    """(profile steps, sink steps) that make `target` the default and move streams to it."""
    if target is None:
        return [], []
    if audio is None or not audio.connected:
        reason = audio.error if audio and audio.error else "no audio server"
        raise PlanError(f"cannot reach the sound server: {reason}")
    sink = resolve_sink(target, audio)
    stray = tuple((s.index, s.sink) for s in audio.streams if s.sink != sink.name)
    volume_ok = target.volume is None or sink.volume is None or abs(sink.volume - target.volume) < 0.01
    mute_ok = target.mute is None or sink.mute == target.mute
    if audio.default_sink == sink.name and (not stray or not target.move_streams) and volume_ok and mute_ok:
        return [], []
    forward = {
        "sink": sink.name,
        "moves": tuple((index, sink.name) for index, _ in stray) if target.move_streams else (),
        "move_all": target.move_streams,
        "volume": target.volume,
        "mute": target.mute,
    }
    back = {
        "sink": audio.default_sink,
        "moves": stray if target.move_streams else (),
        "move_all": False,
        "volume": sink.volume if target.volume is not None else None,
        "mute": sink.mute if target.mute is not None else None,
        "volume_sink": sink.name,
    }
    undo = Step.make(StepKind.AUDIO_SINK, str(audio.default_sink), f"restore audio to {audio.default_sink}", back)
    step = Step.make(StepKind.AUDIO_SINK, sink.name, f"audio to {sink.name} ({sink.description})", forward, undo)
    return [], [step]
