"""The long-running daemon: the composition root that wires config, seat, triggers and socket.

Everything is event driven (socket, signals, config-file changes, VM and audio events, pad
input); when nothing happens the process sleeps in epoll with no timers armed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from modeswitch import protocol
from modeswitch.config.loader import Config, load_config
from modeswitch.core.coordinator import Coordinator
from modeswitch.core.events import EventHub, EventKind
from modeswitch.core.reactions import parts_to_reconcile
from modeswitch.core.seat import Seat
from modeswitch.daemon.compose import EventHandler, build_notifier, build_seat, rewire
from modeswitch.daemon.config_watch import ConfigWatcher
from modeswitch.daemon.control import ControlServer
from modeswitch.daemon.feedback import Feedback
from modeswitch.daemon.sdnotify import notify
from modeswitch.errors import ConfigError, ModeswitchError, ReloadRefused
from modeswitch.model import ComboSource
from modeswitch.notices import Notifier
from modeswitch.parts.registry import seat_json, watched_usb_parts
from modeswitch.paths import Paths
from modeswitch.triggers.vmpads import describe_pads

log = logging.getLogger(__name__)

SeatBuilder = Callable[[Config, Paths, EventHandler], Awaitable[Seat]]

_RELOAD_SETTLE = 0.3  # editors write files in several steps; reload once they are done


class Daemon:
    def __init__(self, config: Config, paths: Paths, config_path: Path | None, *,
                 build: SeatBuilder = build_seat, usbmon_root: Path = Path("/dev"),
                 notifier: Notifier | None = None, cec_opener: Callable[[str], Any] | None = None) -> None:
        self.config = config
        self.events = EventHub()  # for `modeswitch events` and desktop notifications
        self._notifier = notifier
        self._build, self._usbmon_root = build, usbmon_root  # the sandbox passes its own
        self._cec_opener = cec_opener  # None: the kernel's /dev/cecN
        self.vm_pads: Any = None
        self.paths = paths
        self.config_path = config_path
        self.stopping = asyncio.Event()
        self.seat: Seat | None = None
        self.coordinator: Coordinator | None = None
        self.triggers: Any = None
        self.usb_watch: Any = None
        self.cec: Any = None  # the CEC event triggers, while some rule needs the bus
        self._cec_key: tuple[object, ...] | None = None
        self.cec_tv: Any = None
        self._reload_timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        # the socket is up before the backends (to refuse a second daemon early); requests
        # that come in meanwhile wait for the seat instead of finding none
        self.ready = asyncio.Event()

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.paths.ensure_runtime()
        server = ControlServer(self.paths.socket, self.handle, self.subscribe)
        await server.start()  # first, so a second daemon is refused before touching anything
        self.feedback = Feedback(self.events, self._notifier, lambda: self.config.notifications)
        try:
            self.seat = await self._build(self.config, self.paths, self._on_backend_event)
            self.coordinator = Coordinator(self.seat, self.events)
            await self._serve()
        finally:
            await server.stop()
            await self.feedback.close()
            log.info("stopped")

    async def _serve(self) -> None:
        assert self.coordinator is not None and self.seat is not None
        watcher = ConfigWatcher(self._watched_paths(), self._config_changed)
        try:
            await self.coordinator.sync_from_world()
            self._install_signals()
            watcher.start()
            await self._start_triggers()
            self._sync_usb_watch()
            self._sync_cec()
            self.ready.set()  # status now shows the pads being read, too
            self.coordinator.recover()
            notify(READY="1", STATUS=self._status_line(), MAINPID=str(os.getpid()))
            log.info("ready on %s; seat is %s", self.paths.socket, self._status_line())
            await self.stopping.wait()
        finally:
            notify(STOPPING="1")
            watcher.stop()
            await self._stop_triggers()
            self._sync_usb_watch(stopping=True)
            self._sync_cec(stopping=True)
            await self.coordinator.shutdown()
            await self.seat.backends.close()

    # --- requests -----------------------------------------------------------------------

    async def handle(self, verb: protocol.Verb, message: dict[str, Any]) -> dict[str, Any]:
        if verb is protocol.Verb.PING:
            return {"pong": True, "pid": os.getpid(), "ready": self.ready.is_set()}
        await self.ready.wait()
        assert self.coordinator is not None and self.seat is not None
        if verb is protocol.Verb.STATUS:
            return await self.status()
        if verb is protocol.Verb.SWITCH:
            action = _text(message, "mode")
            source = str(message.get("source") or "cli")[:200]
            outcome = await self.coordinator.request(action, source)
            self._pads_moved()
            return outcome.as_dict()
        if verb is protocol.Verb.PLAN:
            return (await self.coordinator.plan(_text(message, "mode"))).as_dict()
        if verb is protocol.Verb.HISTORY:
            count = message.get("n", 10)
            if not isinstance(count, int) or not 0 <= count <= 10000:
                raise ModeswitchError("'n' must be a whole number 0..10000")
            return {"records": self.seat.history.tail(count)}
        if verb is protocol.Verb.RELOAD:
            return await self.reload()
        raise ModeswitchError(f"verb {verb.value} is not handled")

    async def status(self) -> dict[str, Any]:
        assert self.coordinator is not None and self.seat is not None
        observed = await self.coordinator.observe()
        pads = describe_pads(self.triggers.pads if self.triggers is not None else [], self.vm_pads, observed)
        return {**self.coordinator.status(), "daemon": {"pid": os.getpid(), "socket": str(self.paths.socket)},
                "config": str(self.config.path), "seat": seat_json(observed), "pads": pads}

    def request(self, action: str, source: str) -> None:
        """For triggers: fire and forget; the outcome is logged and written to history."""
        assert self.coordinator is not None
        self.coordinator.request(action, source).add_done_callback(lambda _done: self._pads_moved())

    async def subscribe(self, _message: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """`modeswitch events`: the state now, then every event."""
        await self.ready.wait()
        assert self.coordinator is not None
        return self.feedback.stream({"event": EventKind.STATE.value, **self.coordinator.status()})

    # --- SeatView for triggers -----------------------------------------------------------

    def current_mode(self) -> str | None:
        assert self.coordinator is not None
        state = self.coordinator.state
        return state.target or state.mode

    def vm_running(self) -> bool:
        return self.coordinator is not None and self.coordinator.vm_running()

    # --- reload -------------------------------------------------------------------------

    async def reload(self) -> dict[str, Any]:
        """Swap in a new config only if all of it validates and the backends it needs can be
        built; otherwise keep the last good config and its wiring, and say why."""
        assert self.coordinator is not None and self.seat is not None
        try:
            config = load_config(self.config_path, required=self.config_path is not None)
        except ConfigError as exc:
            log.error("config reload refused, keeping the last good config: %s", exc)
            self.events.publish(EventKind.RELOAD, ok=False, error=str(exc))
            raise
        async with self.coordinator.exclusive():  # never rewire under a running transition
            try:
                backends, changed = await rewire(self.seat.backends, self.config, config, self.paths,
                                                 self._on_backend_event)
            except ReloadRefused as exc:
                log.error("%s", exc)
                self.events.publish(EventKind.RELOAD, ok=False, error=str(exc))
                raise
            old, self.config = self.config, config
            self.seat = Seat(config, backends, self.seat.history)
            self.coordinator.use_seat(self.seat)
        if (old.combos, old.hotplug, old.trigger_threshold) != (config.combos, config.hotplug,
                                                                  config.trigger_threshold):
            self._spawn(self._restart_triggers())
        self._sync_usb_watch()
        self._sync_cec()
        log.info("config reloaded: %d mode(s)%s", len(config.modes),
                 f"; rewired {', '.join(changed)}" if changed else "")
        self.events.publish(EventKind.RELOAD, ok=True, modes=sorted(config.modes))
        return {"modes": sorted(config.modes), "rewired": changed}

    def _watched_paths(self) -> list[Path]:
        paths = [*self.config.modes_dirs]
        if self.config.path is not None:
            paths.append(self.config.path)
        return paths

    def _config_changed(self) -> None:
        """Called from the watcher thread; debounce on the loop."""
        self._loop.call_soon_threadsafe(self._schedule_reload)

    def _schedule_reload(self) -> None:
        if self._reload_timer is not None:
            self._reload_timer.cancel()
        self._reload_timer = self._loop.call_later(_RELOAD_SETTLE, self._reload_quietly)

    def _reload_quietly(self) -> None:
        self._reload_timer = None
        self._spawn(self._reload_logged())

    async def _reload_logged(self) -> None:
        try:
            await self.reload()
        except (ConfigError, ReloadRefused):
            pass  # already logged; the last good config stays

    # --- signals, events, triggers --------------------------------------------------------

    def _install_signals(self) -> None:
        self._loop.add_signal_handler(signal.SIGTERM, self.stopping.set)
        self._loop.add_signal_handler(signal.SIGINT, self.stopping.set)
        self._loop.add_signal_handler(signal.SIGHUP, self._reload_quietly)

    def _on_backend_event(self, part: str, event: Any) -> None:
        """VM and audio backends report here; the reaction runs as a task on the loop."""
        self._spawn(self._react(part, str(event)))

    async def _react(self, part: str, event: str) -> None:
        """A reconcile, not a request: it must never supersede a switch somebody asked for
        meanwhile (that switch plans from a fresh look anyway), and it runs no hooks. A VM that
        (re)starts holds none of the devices the mode wants, so they are given back; one that
        stops takes the viewer with it (Looking Glass would only show "waiting for the guest")."""
        assert self.coordinator is not None and self.seat is not None
        log.info("%s event: %s", part, event)
        parts = parts_to_reconcile(part, event)
        if parts:
            await self.coordinator.reconcile(parts, f"{part} {event}")
        else:
            await self.coordinator.observe()  # triggers ask whether the VM runs
        self._pads_moved()

    async def _start_triggers(self) -> None:
        if not self.config.combos and not self.config.hotplug:
            return
        from modeswitch.triggers.gamepads import GamepadTriggers  # evdev only when pads matter

        self.triggers = GamepadTriggers(self.config.combos, self.config.hotplug,
                                        self.config.trigger_threshold, self, self)
        await self.triggers.start()
        pad_combos = any(c.source is ComboSource.PAD for c in self.config.combos)
        if pad_combos and self.coordinator is not None:  # pads in the VM: read through usbmon
            from modeswitch.triggers.vmpads import VmPadFollower

            coordinator = self.coordinator
            self.vm_pads = VmPadFollower.build(self._usbmon_root, self.config.trigger_threshold, self.triggers.feed,
                                               lambda: coordinator.seat.observe(VmPadFollower.FOLLOWS))
            await self.vm_pads.refresh()

    def _pads_moved(self) -> None:
        """The seat may hold other pads now: the usbmon reader follows (nothing when idle)."""
        if self.vm_pads is not None:
            self._spawn(self.vm_pads.refresh())

    async def _stop_triggers(self) -> None:
        if self.vm_pads is not None:
            self.vm_pads.close()
            self.vm_pads = None
        if self.triggers is not None:
            await self.triggers.stop()
            self.triggers = None

    async def _restart_triggers(self) -> None:
        """New combos or hotplug rules: readers are cheap, so start them afresh."""
        await self._stop_triggers()
        await self._start_triggers()

    def _sync_usb_watch(self, stopping: bool = False) -> None:
        """A pad unplugged or replugged in the mode it belongs to is no reason to switch, but
        its hostdev needs a usb re-plan. Watch only while some mode names USB devices and
        there is a VM backend to hold them."""
        wanted = (not stopping and self.seat is not None and any(
            self.seat.backends.get(part) is not None for part in watched_usb_parts(self.config)))
        if wanted and self.usb_watch is None:
            from modeswitch.triggers.usbwatch import UsbWatcher

            watch = UsbWatcher(lambda action, what: self._on_backend_event("usb", f"{action} {what}"))
            try:
                watch.start(self._loop)
            except OSError as exc:
                log.error("cannot watch USB devices, replugged pads wait for the next switch: %s", exc)
                return
            self.usb_watch = watch
        elif not wanted and self.usb_watch is not None:
            self.usb_watch.stop()
            self.usb_watch = None

    def _sync_cec(self, stopping: bool = False) -> None:
        """Read the CEC bus only while some `triggers: cec:` rule needs it, started afresh when
        the rules or the tv backend change; the tv backend tells it each frame it sends, so
        that the TV's answers to modeswitch are not taken for the TV's own doing."""
        tv = self.seat.backends.get("tv") if self.seat is not None else None
        key = None if stopping or not self.config.cec else (self.config.cec, id(tv))
        if key == self._cec_key:
            return
        if self.cec is not None:
            self.cec.stop()
            if self.cec.note_sent in getattr(self.cec_tv, "on_send", []):
                self.cec_tv.on_send.remove(self.cec.note_sent)
            self.cec = None
        self._cec_key, self.cec_tv = key, tv
        if key is None:
            return
        from modeswitch.triggers.cec_reader import CecTriggers

        if self._cec_opener is not None:
            self.cec = CecTriggers(self.config.cec, self, self, opener=self._cec_opener)
        else:
            self.cec = CecTriggers(self.config.cec, self, self)
        if tv is not None and hasattr(tv, "on_send"):
            tv.on_send.append(self.cec.note_sent)
        self.cec.start(self._loop)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = self._loop.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _status_line(self) -> str:
        assert self.coordinator is not None
        state = self.coordinator.state
        return f"{state.mode or 'no mode'} ({state.phase.value})"


def _text(message: dict[str, Any], key: str) -> str:
    value = message.get(key)
    if not isinstance(value, str) or not value or len(value) > 200:
        raise ModeswitchError(f"'{key}' must be a non-empty string")
    return value


async def run_daemon(config: Config, paths: Paths, config_path: Path | None) -> int:
    daemon = Daemon(config, paths, config_path, notifier=build_notifier())
    try:
        await daemon.run()
    except ModeswitchError as exc:
        log.error("%s", exc)
        return 1
    return 0

