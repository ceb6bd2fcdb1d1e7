"""Waiting until the sound server shows what it accepted.

PulseAudio has done a set-default or a move by the time it answers. pipewire-pulse answers
once it has written metadata (`default.configured.audio.sink`, a stream's `target.object`);
WirePlumber then picks the default and relinks the streams, a few milliseconds later, or
never, when one of its rules says otherwise. A step is done when the server lists the result,
so the seat observed after a switch is the seat there is, and a switch that WirePlumber undid
is a failed step instead of a success that is not true. The wait is on the server's own
events (server and sink-input changes), on the command connection, only while something lags.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulsectl

from modeswitch.errors import BackendError

SETTLE_TIMEOUT = 5.0  # WirePlumber takes milliseconds; this only bounds a rule that undoes a step
LEVEL_TOLERANCE = 0.0005


@dataclass(frozen=True)
class Wanted:
    """What a sink step asked for: the default, where each moved stream goes, the level."""

    default: str | None
    moves: Sequence[tuple[int, int]]  # (stream index, sink index)
    level_sink: str | None = None
    volume: float | None = None
    mute: bool | None = None


def lagging(pulse: pulsectl.Pulse, wanted: Wanted) -> str | None:
    """What the server does not show yet, in words; None when it shows everything asked."""
    if wanted.default is not None:
        current = pulse.server_info().default_sink_name
        if current != wanted.default:
            return f"the default sink is still {current or 'none'}"
    if wanted.moves:
        where = {stream.index: stream.sink for stream in pulse.sink_input_list()}
        for index, sink in wanted.moves:
            if index in where and where[index] != sink:  # a stream that ended has nowhere to be
                return f"stream {index} is still on sink {where[index]}"
    if wanted.level_sink is not None and (wanted.volume is not None or wanted.mute is not None):
        return _level_lag(pulse.get_sink_by_name(wanted.level_sink), wanted)
    return None


def _level_lag(sink: Any, wanted: Wanted) -> str | None:
    if wanted.volume is not None and abs(sink.volume.value_flat - wanted.volume) > LEVEL_TOLERANCE:
        return f"{sink.name} is still at volume {sink.volume.value_flat:.2f}"
    if wanted.mute is not None and bool(sink.mute) != wanted.mute:
        return f"{sink.name} is still {'muted' if sink.mute else 'unmuted'}"
    return None


def settle(pulse: pulsectl.Pulse, wanted: Wanted, timeout: float = SETTLE_TIMEOUT) -> None:
    """Return once the server shows `wanted`; BackendError naming what lags after `timeout`."""
    if lagging(pulse, wanted) is None:
        return  # PulseAudio, and PipeWire when it was quick: no subscription needed
    changed: list[bool] = []

    def note(_event: Any) -> None:
        changed.append(True)
        raise pulsectl.PulseLoopStop

    pulse.event_callback_set(note)
    pulse.event_mask_set("server", "sink_input", "sink")
    try:
        deadline = time.monotonic() + timeout
        while True:
            changed.clear()
            behind = lagging(pulse, wanted)  # looked at after subscribing: no change is missed
            if behind is None:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BackendError(f"the sound server accepted the change but {behind} after {timeout:.0f} s",
                                   "a session manager rule may undo it: see `modeswitch doctor`")
            if not changed:  # an event seen while listing means: look again at once
                pulse.event_listen(remaining, raise_on_disconnect=False)  # the next look raises
    finally:
        pulse.event_callback_set(None)
        if pulse.connected:
            pulse.event_mask_set("null")


def wanted_from(args: Mapping[str, Any], indices: Mapping[str, int]) -> Wanted:
    """The Wanted of an AUDIO_SINK step's arguments."""
    moves = tuple((int(index), indices[sink]) for index, sink in args.get("moves", ()))
    level = args.get("volume_sink") or args.get("sink")
    return Wanted(args.get("sink"), moves, level, args.get("volume"), args.get("mute"))
