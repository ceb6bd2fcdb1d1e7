"""Host audio through libpulse (pulsectl): works with PulseAudio and PipeWire's pulse server.

pulsectl is blocking and its objects are not thread-safe, so each connection lives on one
thread: commands run on a single-worker executor, and events are read by a second connection
on its own thread and handed to the asyncio loop with call_soon_threadsafe. The backend never
decides anything on an event; it tells the daemon, which observes and re-plans.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from typing import Any, TypeVar

import pulsectl

from modeswitch.errors import BackendError
from modeswitch.model import Step, StepKind
from modeswitch.observed import describe_sinks
from modeswitch.parts.audio import server as servers
from modeswitch.parts.audio.settle import (
    StaleView,
    settle,
    settle_level,
    sink_index,
    subscribe,
    wanted_from,
)
from modeswitch.parts.audio.spec import AudioObservation, Card, CardProfile, Sink, Stream

T = TypeVar("T")
log = logging.getLogger(__name__)
BACKOFF_FIRST = 0.05
BACKOFF_MAX = 2.0
STOP_POLL = 0.05
FRESH_SINK = 2.0  # seconds after a sink appears in which its property changes count as its arrival


class AudioEvent(StrEnum):
    SINK_ADDED = "sink-added"  # e.g. the TV was switched on: its sink may be the one wanted
    SINK_REMOVED = "sink-removed"
    STREAM_ADDED = "stream-added"  # a new stream may have started on the wrong sink
    CARD_CHANGED = "card-changed"  # profile or availability changed (HDMI plugged/unplugged)
    SERVER_LOST = "server-lost"
    SERVER_BACK = "server-back"  # a fresh server knows nothing of the mode: re-apply it


_EVENTS: Mapping[tuple[str, str], AudioEvent] = {
    ("sink", "new"): AudioEvent.SINK_ADDED,
    ("sink", "remove"): AudioEvent.SINK_REMOVED,
    ("sink_input", "new"): AudioEvent.STREAM_ADDED,
    ("card", "new"): AudioEvent.CARD_CHANGED,
    ("card", "change"): AudioEvent.CARD_CHANGED,
    ("card", "remove"): AudioEvent.CARD_CHANGED,
}


def server_address(server: str | None) -> str:
    """The address libpulse will try, so an error can name it."""
    if server:
        return server
    if os.environ.get("PULSE_SERVER"):
        return os.environ["PULSE_SERVER"]
    runtime = os.environ.get("XDG_RUNTIME_DIR", f"/run/user/{os.getuid()}")
    return f"unix:{runtime}/pulse/native"


def unreachable(address: str) -> BackendError:
    """Why a connection failed, in one line: libpulse itself only says 'failed to connect'."""
    path = address.removeprefix("unix:") if address.startswith(("unix:", "/")) else None
    if path is None:
        return BackendError(f"no sound server at {address}", "is PulseAudio or PipeWire running?")
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(path)
        except PermissionError:
            return BackendError(f"permission denied on sound server socket {address}", "run as its user")
        except OSError as exc:
            return BackendError(f"no sound server at {address} ({exc.strerror})", "is it running?")
    return BackendError(f"the sound server at {address} refused the connection", "check its auth settings")


def connect(server: str | None, name: str) -> pulsectl.Pulse:
    pulse = pulsectl.Pulse(name, server=server, connect=False)
    try:
        pulse.connect(autospawn=False)  # no timeout: pulsectl then waits all of it even on success
    except pulsectl.PulseError:
        pulse.close()
        raise unreachable(server_address(server)) from None
    return pulse


def refusal(pulse: pulsectl.Pulse, action: str) -> BackendError:
    """The server's own reason (e.g. 'Access denied'): pulsectl drops it, libpulse keeps it."""
    from pulsectl import _pulsectl

    reason = _pulsectl.pa.strerror(_pulsectl.pa.context_errno(pulse._ctx))
    text = reason.decode() if isinstance(reason, bytes) else str(reason)
    if "access" in text.lower():
        return BackendError(f"permission denied: {action}", text)
    return BackendError(f"the sound server refused to {action}: {text}")


class PulseAudioBackend:
    """AudioBackend for AUDIO_PROFILE and AUDIO_SINK steps."""

    kinds = frozenset({StepKind.AUDIO_PROFILE, StepKind.AUDIO_SINK})
    refuses_unreachable = True  # a reload to a server that does not answer is refused

    def __init__(self, server: str | None, on_event: Callable[[AudioEvent], None] | None = None) -> None:
        self.server = server
        self.address = server_address(server)
        self._on_event = on_event
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="pulse-commands")
        self._pulse: pulsectl.Pulse | None = None  # touched only on the executor's thread
        self._software: str | None = None  # asked once per connection: listing clients is slow
        self._listener: EventListener | None = None
        try:
            self._listen(asyncio.get_running_loop())
        except RuntimeError:
            pass  # built outside a loop: events start with the first observe() or apply()

    def _listen(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._on_event is not None and self._listener is None:
            self._listener = EventListener(self.server, loop, self._on_event)

    async def _call(self, work: Callable[[pulsectl.Pulse], T]) -> T:
        loop = asyncio.get_running_loop()
        self._listen(loop)
        return await loop.run_in_executor(self._executor, self._run, work)

    def _run(self, work: Callable[[pulsectl.Pulse], T]) -> T:
        """Runs on the worker thread. A connection dropped by a server restart, or one whose
        view of the default went stale (StaleView), is replaced once and the work redone;
        every piece of work is idempotent, so that is safe."""
        for attempt in (1, 2):
            if self._pulse is None:
                self._pulse = connect(self.server, "modeswitch")
                subscribe(self._pulse)
            try:
                return work(self._pulse)
            except StaleView as stale:
                if attempt == 2:
                    raise BackendError(f"the sound server did not show the new default sink ({stale})",
                                       "restart it: systemctl --user restart pipewire pipewire-pulse wireplumber") \
                        from None
                log.warning("%s: %s; reconnected to the sound server", self.address, stale)
                self._drop()
            except pulsectl.PulseError as exc:
                if self._pulse.connected:
                    raise BackendError(f"the sound server failed: {exc}") from None
                self._drop()
        raise unreachable(self.address)

    def _fresh_default(self) -> str | None:
        """The default sink as a new connection reads it (settle's second opinion)."""
        pulse = connect(self.server, "modeswitch-look")
        try:
            return pulse.server_info().default_sink_name or None
        finally:
            pulse.close()

    def _drop(self) -> None:
        if self._pulse is not None:
            self._pulse.close()
            self._pulse = None
            self._software = None

    async def observe(self) -> AudioObservation:
        try:
            return await self._call(self._observe)
        except BackendError as exc:
            return AudioObservation(self.address, False, error=str(exc))

    def _observe(self, pulse: pulsectl.Pulse) -> AudioObservation:
        raw_sinks = pulse.sink_list()
        names = {s.index: s.name for s in raw_sinks}
        info = pulse.server_info()
        if self._software is None:
            self._software = _software(pulse, info)
        return AudioObservation(
            server=self.address,
            connected=True,
            software=self._software,
            default_sink=info.default_sink_name or None,
            sinks=tuple(
                Sink(s.name, s.description, s.index, round(s.volume.value_flat, 4), bool(s.mute)) for s in raw_sinks
            ),
            streams=tuple(
                Stream(i.index, i.proplist.get("application.name", i.name), names.get(i.sink, ""))
                for i in pulse.sink_input_list()
            ),
            cards=tuple(_card(c) for c in pulse.card_list()),
        )

    async def apply(self, step: Step) -> None:
        if step.kind is StepKind.AUDIO_PROFILE:
            await self._call(lambda pulse: _set_profile(pulse, step.args))
        elif step.kind is StepKind.AUDIO_SINK:
            await self._call(lambda pulse: _set_sink(pulse, step.args, self._fresh_default))
        else:
            raise BackendError(f"the audio backend cannot run {step.kind.value} steps")

    async def close(self) -> None:
        if self._listener is not None:
            await asyncio.to_thread(self._listener.stop)
            self._listener = None
        await asyncio.get_running_loop().run_in_executor(self._executor, self._drop)
        self._executor.shutdown()


def _software(pulse: pulsectl.Pulse, info: Any) -> str:
    manager = None
    if servers.is_pipewire(info.server_name):
        manager = servers.session_manager((c.proplist for c in pulse.client_list()), servers.read_maps)
    return servers.software(info.server_name, info.server_version, manager)


def _card(card: Any) -> Card:
    profiles = tuple(CardProfile(p.name, p.description, bool(p.available), int(p.priority)) for p in card.profile_list)
    return Card(card.name, card.profile_active.name, profiles)


def _set_profile(pulse: pulsectl.Pulse, args: Mapping[str, Any]) -> None:
    cards = {card.name: card for card in pulse.card_list()}
    card = cards.get(args["card"])
    if card is None:
        raise BackendError(f"no sound card named {args['card']}", "cards: " + (", ".join(cards) or "none"))
    if card.profile_active.name == args["profile"]:
        return
    if args["profile"] not in {p.name for p in card.profile_list}:
        raise BackendError(f"card {card.name} has no profile {args['profile']}")
    try:
        pulse.card_profile_set_by_index(card.index, args["profile"])
    except pulsectl.PulseOperationFailed:
        if not pulse.connected:
            raise
        raise refusal(pulse, f"set {card.name} to profile {args['profile']}") from None


def _set_sink(pulse: pulsectl.Pulse, args: Mapping[str, Any], fresh: Callable[[], str | None]) -> None:
    """Default sink, stream moves, volume/mute, as the plan worked them out from its look at
    the server: sink and stream indices come in the step, nothing is listed again first.
    `fresh` reads the default through a new connection, when this one's view seems stale.
    A sink that went and came back since the plan looked (a TV off and on again) has a new
    index: the step is done once more with the indices the server has now."""
    indices: Mapping[str, int] = args.get("sink_indices") or {}
    for attempt in (1, 2):
        try:
            _sink_step(pulse, args, indices, fresh)
            return
        except (pulsectl.PulseOperationFailed, pulsectl.PulseIndexError):
            if not pulse.connected:
                raise
            if _waits_for(pulse, args):
                return
            renumbered = _renumbered(pulse, args["sink"], indices)
            if attempt == 1 and renumbered is not None:
                indices = renumbered
                continue
            raise _why_refused(pulse, args["sink"], indices) from None
        except BackendError:
            if pulse.connected and _waits_for(pulse, args):
                return
            raise


def _sink_step(pulse: pulsectl.Pulse, args: Mapping[str, Any], indices: Mapping[str, int],
               fresh: Callable[[], str | None]) -> None:
    name = args["sink"]
    if args.get("appears") and name not in indices:  # made by the card profile step before
        indices = {**indices, name: sink_index(pulse, name)}
    if name is not None:
        pulse.sink_default_set(name)  # first: a move to the default pins no application
    for index, sink in args.get("moves", ()):
        _move(pulse, int(index), indices[sink])
    wanted = wanted_from(args, indices)
    settle(pulse, wanted, fresh=fresh)
    if wanted.level_sink is not None and (wanted.volume is not None or wanted.mute is not None):
        settle_level(pulse, wanted)  # after the moves: the sink now plays what was moved


def _renumbered(pulse: pulsectl.Pulse, name: str | None, planned: Mapping[str, int]) -> dict[str, int] | None:
    """The planned sinks' indices now, when every one of them is there and some have a new
    index; None otherwise (one is gone: that is the refusal to report)."""
    current = {s.name: s.index for s in pulse.sink_list()}
    names = set(planned) | ({name} if name else set())
    if not names <= set(current) or all(current[n] == planned.get(n, current[n]) for n in names):
        return None
    return {n: current[n] for n in planned}


def _waits_for(pulse: pulsectl.Pulse, args: Mapping[str, Any]) -> bool:
    """The sink went (the TV to standby) while the step ran, and the mode waits for it
    (`when_missing: wait`): as if it had been missing when planned, the next sink event moves
    audio. What the step did before is the server's to sort out: it rescues the streams."""
    name = args["sink"]
    return bool(args.get("wait")) and name is not None and name not in {s.name for s in pulse.sink_list()}


def _why_refused(pulse: pulsectl.Pulse, name: str | None, planned: Mapping[str, int]) -> BackendError:
    """Only after a refusal is the server listed again: a sink that went away since the plan
    looked (a TV switched off) is named, with what there is now."""
    sinks = pulse.sink_list()
    current = {s.name: s.index for s in sinks}
    gone = [sink for sink in ([name] if name else []) + list(planned) if planned.get(sink, -2) != current.get(sink)]
    listing = describe_sinks(tuple(Sink(s.name, s.description) for s in sinks))
    if name is not None and name not in current:
        return BackendError(f"no sink named {name}", listing)
    if gone:
        return BackendError(f"sinks changed since the plan: {', '.join(sorted(set(gone)))}", listing)
    return refusal(pulse, f"switch audio to {name}")


def _move(pulse: pulsectl.Pulse, index: int, sink_index: int) -> None:
    try:
        pulse.sink_input_move(index, sink_index)
    except pulsectl.PulseOperationFailed:
        if pulse.connected and index not in {s.index for s in pulse.sink_input_list()}:
            return  # the stream ended between listing and moving: nothing left to move
        raise


class EventListener:
    """A second connection on its own thread, blocked in libpulse's poll while all is quiet.

    Only while the server is gone does it wake up on its own, to reconnect with backoff.
    """

    def __init__(
        self, server: str | None, loop: asyncio.AbstractEventLoop, deliver: Callable[[AudioEvent], None]
    ) -> None:
        self.server = server
        self._loop = loop
        self._deliver = deliver
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # guards _pulse against being freed while stop() wakes it
        self._pulse: pulsectl.Pulse | None = None
        self._fresh: dict[int, float] = {}  # sinks announced a moment ago (their index → when)
        self._thread = threading.Thread(target=self._run, name="pulse-events", daemon=True)
        self._thread.start()

    def _emit(self, event: AudioEvent) -> None:
        try:
            self._loop.call_soon_threadsafe(self._deliver, event)
        except RuntimeError:
            pass  # the loop is closed: nobody is left to tell

    def _on_pulse_event(self, info: Any) -> None:
        if self._stopping.is_set():
            raise pulsectl.PulseLoopStop
        event = _EVENTS.get((info.facility, info.t))
        if event is AudioEvent.SINK_ADDED:
            self._fresh = {i: at for i, at in self._fresh.items() if time.monotonic() - at < FRESH_SINK}
            self._fresh[int(info.index)] = time.monotonic()
        elif (info.facility, info.t) == ("sink", "change") and int(info.index) in self._fresh:
            # pipewire-pulse announces a sink, then fills in its properties (the description a
            # mode may match on): a look at the first event can miss it, so the change is news too
            event = AudioEvent.SINK_ADDED if time.monotonic() - self._fresh[int(info.index)] < FRESH_SINK else None
        if event is not None:
            self._emit(event)

    def _run(self) -> None:
        delay, lost = BACKOFF_FIRST, False
        while not self._stopping.is_set():
            if self._listen_once(lost):
                delay, lost = BACKOFF_FIRST, False
            if self._stopping.is_set():
                return
            if not lost:
                lost = True
                self._emit(AudioEvent.SERVER_LOST)
            self._stopping.wait(delay)
            delay = min(delay * 2, BACKOFF_MAX)

    def _listen_once(self, lost: bool) -> bool:
        """Connect and listen until the connection drops; False if it could not connect."""
        try:
            pulse = connect(self.server, "modeswitch-events")
        except BackendError:
            return False
        try:
            pulse.event_mask_set("sink", "sink_input", "card")
            pulse.event_callback_set(self._on_pulse_event)
            with self._lock:
                self._pulse = pulse
            if lost:
                self._emit(AudioEvent.SERVER_BACK)
            pulse.event_listen()
        except (pulsectl.PulseError, pulsectl.PulseDisconnected):
            pass
        finally:
            with self._lock:
                self._pulse = None
                pulse.close()
        return True

    def stop(self) -> None:
        """Blocking; call from a worker thread. pulsectl's wakeup can race with the listener
        entering its poll, so it is repeated until the thread is gone."""
        self._stopping.set()
        while self._thread.is_alive():
            with self._lock:
                if self._pulse is not None:
                    self._pulse.event_listen_stop()
            self._thread.join(STOP_POLL)
