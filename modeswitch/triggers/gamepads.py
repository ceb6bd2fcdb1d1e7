"""GamepadTriggers: the one object the daemon builds to turn pads into transition requests.

It owns the readers (one per pad node), the chord detector, the hold timer and the udev
watcher, all on the daemon's asyncio loop. Nothing here blocks and nothing is grabbed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path

import evdev

from modeswitch.buttons import CANONICAL
from modeswitch.model import ComboSource, ComboSpec, HotplugRule
from modeswitch.triggers.base import Requester, SeatView
from modeswitch.triggers.combos import ChordDetector, Fire
from modeswitch.triggers.hotplug import (
    HotplugRules,
    UdevInputWatcher,
    open_with_backoff,
)
from modeswitch.triggers.keyreader import KeyReader, key_source
from modeswitch.triggers.pads import InputIdentity, PadReader, identify

log = logging.getLogger(__name__)

FRIENDLY = {code: name for name, code in CANONICAL.items()}


class GamepadTriggers:
    """Combos on any pad and controller hotplug rules -> Requester.request(action, source)."""

    def __init__(
        self,
        combos: Sequence[ComboSpec],
        hotplug_rules: Sequence[HotplugRule],
        threshold: float,
        requester: Requester,
        seat_view: SeatView,
        input_dir: Path = Path("/dev/input"),
    ) -> None:
        self._threshold = threshold
        self._requester = requester
        self._input_dir = input_dir
        # one detector per source: a remote's KEY_UP must not complete a keyboard's chord
        self._detectors = {source: ChordDetector([c for c in combos if c.source == source])
                           for source in ComboSource}
        self._wanted = frozenset({ComboSource.PAD} | {c.source for c in combos})
        self._rules = HotplugRules(hotplug_rules, requester, seat_view)
        self._readers: dict[str, PadReader] = {}
        self._opening: dict[str, asyncio.Task[None]] = {}
        self._watcher = UdevInputWatcher(input_dir, self._node_added, self._node_removed)
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._labels: dict[str, str] = {}  # pads fed from other sources (usbmon): key -> name

    @property
    def pads(self) -> list[InputIdentity]:
        """The pads being read right now (for status output and tests)."""
        return [reader.identity for reader in self._readers.values() if reader.source is ComboSource.PAD]

    async def start(self) -> None:
        """Watch first, then scan, so a pad plugged in between is not missed."""
        self._loop = asyncio.get_running_loop()
        self._watcher.start(self._loop)
        for path in sorted(str(p) for p in self._input_dir.glob("event*")):
            self._attach_existing(path)
        log.info("reading %d gamepad(s)", len(self._readers))

    async def stop(self) -> None:
        self._watcher.stop()
        tasks = list(self._opening.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._opening.clear()
        for reader in list(self._readers.values()):
            reader.close()
        self._readers.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # --- nodes -------------------------------------------------------------------------

    def _attach_existing(self, path: str) -> None:
        """At start a node we cannot open (someone else's keyboard) is simply not a pad."""
        try:
            device = evdev.InputDevice(path)
        except OSError as exc:
            log.debug("skipping %s: %s", path, exc)
            return
        self._adopt(device)

    def _adopt(self, device: evdev.InputDevice) -> InputIdentity:
        identity = identify(device)
        source = key_source(device, identity, self._wanted)
        if source is None or identity.path in self._readers:
            device.close()
            return identity
        reader = PadReader(device, self._threshold, self._button, self._gone) if source is ComboSource.PAD \
            else KeyReader(device, source, self._button, self._gone)
        self._readers[identity.path] = reader
        assert self._loop is not None
        reader.start(self._loop)
        log.info("%s %s on %s", "gamepad" if source is ComboSource.PAD else source.value, identity.name,
                 identity.path)
        return identity

    def _node_added(self, path: str) -> None:
        if path in self._readers or path in self._opening or self._loop is None:
            return
        task = self._loop.create_task(self._open_new(path))
        self._opening[path] = task
        task.add_done_callback(lambda _t: self._opening.pop(path, None))

    async def _open_new(self, path: str) -> None:
        device = await open_with_backoff(path)
        if device is None or self._loop is None:
            return
        identity = self._adopt(device)
        self._rules.connected(identity, self._loop.time())

    def _node_removed(self, path: str) -> None:
        task = self._opening.pop(path, None)
        if task is not None:
            task.cancel()
        reader = self._readers.get(path)
        if reader is not None:
            reader.close()
            self._gone(reader)

    def _gone(self, reader: PadReader) -> None:
        if self._readers.get(reader.path) is reader:
            del self._readers[reader.path]
        self._detectors[reader.source].forget(reader.path)
        self._reschedule()

    # --- combos ------------------------------------------------------------------------

    def feed(self, pad: str, label: str, button: str, value: int) -> None:
        """Button changes from another source (usbmon for pads in the VM): the same detector,
        the same holds; no rumble, since the host does not own such a pad."""
        if self._loop is None:
            return
        self._labels[pad] = label
        self._changed(ComboSource.PAD, pad, button, value)

    def _button(self, reader: PadReader, button: str, value: int) -> None:
        self._changed(reader.source, reader.path, button, value)

    def _changed(self, source: ComboSource, pad: str, button: str, value: int) -> None:
        assert self._loop is not None
        self._fired(self._detectors[source].feed(pad, button, value, self._loop.time()))
        if value == 1 or self._timer is not None:
            self._reschedule()

    def _expire(self) -> None:
        self._timer = None
        assert self._loop is not None
        now = self._loop.time()
        for detector in self._detectors.values():
            self._fired(detector.expire(now))
        self._reschedule()

    def _reschedule(self) -> None:
        """One loop timer for the earliest hold deadline: holds expire without polling."""
        deadline = min((d for d in (det.next_deadline() for det in self._detectors.values()) if d is not None),
                       default=None)
        if self._timer is not None:
            if deadline is not None and self._timer.when() == deadline:
                return
            self._timer.cancel()
            self._timer = None
        if deadline is not None and self._loop is not None:
            self._timer = self._loop.call_at(deadline, self._expire)

    def _fired(self, fires: list[Fire]) -> None:
        for fire in fires:
            reader = self._readers.get(str(fire.pad))
            pad = reader.identity.name if reader else self._labels.get(str(fire.pad), str(fire.pad))
            names = "+".join(FRIENDLY.get(b, b) for b in fire.combo.buttons)
            try:
                self._requester.request(fire.combo.action, f"combo {names} on {pad}")
            except Exception:  # the daemon's problem must not kill the pad reader
                log.exception("request %s failed", fire.combo.action)
            if reader is not None:
                reader.rumble()
