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
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulsectl

from modeswitch.errors import BackendError

SETTLE_TIMEOUT = 5.0  # WirePlumber takes milliseconds; this only bounds a rule that undoes a step
LEVEL_TOLERANCE = 0.0005
SUSPENDED = "suspended"
UNLINKED = 0xFFFFFFFF  # PA_INVALID_INDEX: a stream not linked to any sink (yet)
REDO = 2  # moves of one stream done again at most, after the server linked it elsewhere
# WirePlumber 0.5 can pass over a configured default that names a sink it has not taken in
# yet (one that appeared a moment ago: the TV switched on) and not look again; after this
# long without an event the default is set once more.
RETRY_EVERY = 0.5

DefaultLook = Callable[[], str | None]  # the default sink as a new connection to the server sees it


class StaleView(Exception):
    """This connection still shows the old default while a new connection to the same server
    shows the one asked for: pipewire-pulse has stopped passing default changes to this
    connection (seen on 0.3.65 and 1.4: a connection then reads the default it bound with for
    good). The server did the step; the caller replaces the connection and redoes the
    (idempotent) step on the new one, whose view is current."""


@dataclass(frozen=True)
class Wanted:
    """What a sink step asked for: the default, where each moved stream goes, the level."""

    default: str | None
    moves: Sequence[tuple[int, int]]  # (stream index, sink index)
    level_sink: str | None = None
    volume: float | None = None
    mute: bool | None = None


def lagging(pulse: pulsectl.Pulse, wanted: Wanted, changed: Collection[int] = (),
            redone: Counter[int] | None = None, quiet: bool = False,
            fresh: DefaultLook | None = None) -> str | None:
    """Where the default and the moved streams are not yet, in words; None when they are.

    A moved stream that the server reports changed but on another sink is moved again (at
    most REDO times): WirePlumber links a stream that has just started to the sink it asked
    for, and when that lands after our move the move is lost. A move to the default is
    idempotent, so doing it again is safe. After a quiet while, a default that still lags is
    asked again, and looked at through a new connection (`fresh`): StaleView when that one
    shows it."""
    if wanted.default is not None:
        current = pulse.server_info().default_sink_name
        if current != wanted.default:
            if quiet:  # nothing happened for a while: asked again (see RETRY_EVERY)
                pulse.sink_default_set(wanted.default)
                if fresh is not None and fresh() == wanted.default:
                    raise StaleView(f"this connection still reads {current or 'none'} as the default")
            return f"the default sink is still {current or 'none'}"
    if not wanted.moves:
        return None
    where = {stream.index: stream.sink for stream in pulse.sink_input_list()}
    late = None
    for index, sink in wanted.moves:
        now = where.get(index, sink)  # a stream that ended has nowhere to be
        if now == sink:
            continue
        late = late or f"stream {index} is still on sink {now}"
        if redone is not None and index in changed and now != UNLINKED and redone[index] < REDO:
            redone[index] += 1
            pulse.sink_input_move(index, sink)
    return late


def _level_lag(sink: Any, wanted: Wanted) -> str | None:
    if wanted.volume is not None and abs(sink.volume.value_flat - wanted.volume) > LEVEL_TOLERANCE:
        return f"{sink.name} is still at volume {sink.volume.value_flat:.2f}"
    if wanted.mute is not None and bool(sink.mute) != wanted.mute:
        return f"{sink.name} is still {'muted' if sink.mute else 'unmuted'}"
    return None


def settle(pulse: pulsectl.Pulse, wanted: Wanted, timeout: float = SETTLE_TIMEOUT,
           fresh: DefaultLook | None = None) -> None:
    """Return once the server shows `wanted`; BackendError naming what lags after `timeout`,
    StaleView when only this connection does not show it (see lagging)."""
    redone: Counter[int] = Counter()
    _await(pulse, lambda changed, quiet: lagging(pulse, wanted, changed, redone, quiet, fresh), timeout)


def settle_level(pulse: pulsectl.Pulse, wanted: Wanted, timeout: float = SETTLE_TIMEOUT) -> None:
    """Volume and mute, set again while they lag: PipeWire 1.4 drops them on a null sink that
    has not run yet, and a sink that streams were just moved to starts running a moment later."""
    def behind(_changed: Collection[int], _quiet: bool) -> str | None:
        sink = pulse.get_sink_by_name(wanted.level_sink)
        late = _level_lag(sink, wanted)
        if late is None:
            return None
        apply_level(pulse, sink, wanted.volume, wanted.mute)
        if sink.state == SUSPENDED and not any(to == sink.index for _, to in wanted.moves):
            return None  # nothing will make it run, so nothing to wait for: PulseAudio has it already
        return late

    _await(pulse, behind, timeout)


def sink_index(pulse: pulsectl.Pulse, name: str, timeout: float = SETTLE_TIMEOUT) -> int:
    """The index of a sink a card profile step has just created: on PipeWire it appears after
    the profile switch has been answered."""
    found: list[int] = []

    def missing(_changed: Collection[int], _quiet: bool) -> str | None:
        found[:] = [sink.index for sink in pulse.sink_list() if sink.name == name]
        return None if found else f"no sink {name} has appeared"

    _await(pulse, missing, timeout)
    return found[0]


def apply_level(pulse: pulsectl.Pulse, sink: Any, volume: float | None, mute: bool | None) -> None:
    if volume is not None and abs(sink.volume.value_flat - volume) > LEVEL_TOLERANCE:
        pulse.volume_set_all_chans(sink, volume)
    if mute is not None and bool(sink.mute) != mute:
        pulse.mute(sink, mute)


def _await(pulse: pulsectl.Pulse, behind: Callable[[Collection[int], bool], str | None], timeout: float) -> None:
    """Look, and while `behind` says what lags, wait for the server's next event and look again;
    `behind` is told which sink inputs changed since its last look, and whether RETRY_EVERY
    passed without any event."""
    if behind((), False) is None:
        return  # PulseAudio, and PipeWire when it was quick: no subscription needed
    changed: set[int] = set()
    woken: list[bool] = []

    def note(event: Any) -> None:
        woken.append(True)
        if event.facility == "sink_input":
            changed.add(int(event.index))
        raise pulsectl.PulseLoopStop

    pulse.event_callback_set(note)  # the connection is subscribed for good (see subscribe)
    try:
        deadline, quiet = time.monotonic() + timeout, False
        while True:
            woken.clear()
            seen = set(changed)
            changed.clear()
            late = behind(seen, quiet)  # looked at after subscribing: no change is missed
            if late is None:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BackendError(f"the sound server accepted the change but {late} after {timeout:.0f} s",
                                   "a session manager rule may undo it: see `modeswitch doctor`")
            if not woken:  # an event seen while looking means: look again at once
                pulse.event_listen(min(remaining, RETRY_EVERY), raise_on_disconnect=False)  # the next look raises
            quiet = not woken
    finally:
        pulse.event_callback_set(None)


def subscribe(pulse: pulsectl.Pulse) -> None:
    """Subscribe the command connection once, for as long as it lives. pipewire-pulse 1.4
    keeps a connection's view of the default sink current only while it is subscribed: one
    that subscribed and unsubscribed around each wait went on reading the old default in
    server_info for seconds after WirePlumber had changed it (a new connection read the new
    one). Events that come while nobody waits are dropped by pulsectl (no callback)."""
    pulse.event_mask_set("server", "sink_input", "sink")


def wanted_from(args: Mapping[str, Any], indices: Mapping[str, int]) -> Wanted:
    """The Wanted of an AUDIO_SINK step's arguments (`indices` has every sink they name)."""
    moves = tuple((int(index), indices[sink]) for index, sink in args.get("moves", ()))
    level = args.get("volume_sink") or args.get("sink")
    return Wanted(args.get("sink"), moves, level, args.get("volume"), args.get("mute"))
