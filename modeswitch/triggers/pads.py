"""Gamepad event nodes: which nodes are pads, and reading them without taking them away.

A pad is recognised by what it can do, following the kernel's gamepad spec
(Documentation/input/gamepad.rst): face/shoulder buttons in the BTN_SOUTH..BTN_THUMBR range
and an analog stick. That covers xpad, xpadneo, hid-playstation and hid-nintendo without a
vendor list, and leaves out the DualSense's touchpad node (BTN_LEFT/BTN_TOUCH) and its motion
node (INPUT_PROP_ACCELEROMETER, no keys), keyboards and mice.

Pads are never grabbed: the game (and Steam) must keep seeing every press.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import evdev
from evdev import ecodes

from modeswitch.model import ComboSource
from modeswitch.triggers.combos import AxisRange, PadMapper

log = logging.getLogger(__name__)

GAMEPAD_BUTTONS = range(ecodes.BTN_SOUTH, ecodes.BTN_THUMBR + 1)
MIN_GAMEPAD_BUTTONS = 4  # south/east/north/west at least; a lone BTN_C is a joystick
INPUT_PROP_ACCELEROMETER = 0x06
GONE_ERRNOS = {errno.ENODEV, errno.EIO, errno.EBADF, errno.ENXIO}
RUMBLE_MS = 180


@dataclass(frozen=True)
class InputIdentity:
    """What the hotplug rules and the log need to know about one event node."""

    path: str
    name: str
    vendor: int
    product: int
    gamepad: bool


def is_gamepad(capabilities: Mapping[int, Sequence[int]], properties: Iterable[int]) -> bool:
    """The gamepad spec's shape: >= 4 gamepad buttons plus the left stick, and no sensor."""
    if INPUT_PROP_ACCELEROMETER in set(properties):
        return False
    keys = capabilities.get(ecodes.EV_KEY, ())
    if sum(1 for code in keys if code in GAMEPAD_BUTTONS) < MIN_GAMEPAD_BUTTONS:
        return False
    axes = set(capabilities.get(ecodes.EV_ABS, ()))
    return {ecodes.ABS_X, ecodes.ABS_Y} <= axes


def raw_capabilities(device: evdev.InputDevice) -> dict[int, list[int]]:
    """Capabilities as plain code lists (python-evdev pairs ABS codes with their AbsInfo)."""
    caps = device.capabilities(verbose=False, absinfo=False)
    return {int(etype): [int(code) for code in codes] for etype, codes in caps.items()}


def identify(device: evdev.InputDevice) -> InputIdentity:
    caps = raw_capabilities(device)
    return InputIdentity(
        path=str(device.path),
        name=device.name,
        vendor=device.info.vendor,
        product=device.info.product,
        gamepad=is_gamepad(caps, device.input_props()),
    )


def axis_ranges(device: evdev.InputDevice) -> dict[int, AxisRange]:
    """Each driver has its own ranges (xpad 0..255 or 0..1023 triggers, DS 0..255)."""
    ranges: dict[int, AxisRange] = {}
    for code in raw_capabilities(device).get(ecodes.EV_ABS, ()):
        info = device.absinfo(code)
        ranges[code] = AxisRange(info.min, info.max)
    return ranges


class EventSource(Protocol):
    def read(self) -> Iterator[Any]: ...


def drain(source: EventSource, handle: Callable[[int, int, int], None]) -> bool:
    """Read what is queued and hand it on. False when the device is gone.

    A pad that is unplugged, or passed into the VM, reports ENODEV; a node that was closed
    under us reads EOF (readable, yet nothing to read). Both end the reader quietly.
    """
    got_any = False
    try:
        for event in source.read():
            got_any = True
            handle(event.type, event.code, event.value)
    except BlockingIOError:
        return True
    except OSError as exc:
        if exc.errno in GONE_ERRNOS:
            return False
        raise
    return got_any


class PadReader:
    """One open pad, read through the event loop's reader callback (no thread, no polling)."""

    source = ComboSource.PAD  # which combos its changes go to (keyreader.py reads the others)

    def __init__(
        self,
        device: evdev.InputDevice,
        threshold: float,
        on_change: Callable[[PadReader, str, int], None],
        on_gone: Callable[[PadReader], None],
    ) -> None:
        self.device = device
        self.identity = identify(device)
        self.mapper = PadMapper(axis_ranges(device), threshold)
        self._on_change = on_change
        self._on_gone = on_gone
        self._loop: asyncio.AbstractEventLoop | None = None
        self._effect: int | None = None

    @property
    def path(self) -> str:
        return self.identity.path

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        loop.add_reader(self.device.fd, self._readable)

    def _readable(self) -> None:
        try:
            alive = drain(self.device, self._raw)
        except OSError as exc:
            log.warning("reading %s failed: %s", self.identity.name, exc)
            alive = False
        if not alive:
            log.info("%s (%s) is gone", self.identity.name, self.path)
            self.close()
            self._on_gone(self)

    def _raw(self, etype: int, code: int, value: int) -> None:
        for button, state in self.mapper.translate(etype, code, value):
            self._on_change(self, button, state)

    def close(self) -> None:
        """Idempotent: the reader may end by itself and then again from stop()."""
        if self._loop is not None:
            try:
                self._loop.remove_reader(self.device.fd)
            except (ValueError, OSError):
                pass
            self._loop = None
        try:
            self.device.close()
        except OSError:
            pass

    def rumble(self) -> None:
        """A short buzz to say "combo taken". Best effort: nothing may wait on it."""
        if ecodes.FF_RUMBLE not in raw_capabilities(self.device).get(ecodes.EV_FF, ()):
            return
        try:
            if self._effect is None:
                self._effect = self.device.upload_effect(_rumble_effect())
            self.device.write(ecodes.EV_FF, self._effect, 1)
        except (OSError, SystemError) as exc:
            log.debug("no rumble on %s: %s", self.identity.name, exc)


def _rumble_effect() -> evdev.ff.Effect:
    rumble = evdev.ff.Rumble(strong_magnitude=0x8000, weak_magnitude=0xC000)
    return evdev.ff.Effect(
        ecodes.FF_RUMBLE, -1, 0,
        evdev.ff.Trigger(0, 0),
        evdev.ff.Replay(RUMBLE_MS, 0),
        evdev.ff.EffectType(ff_rumble_effect=rumble),
    )
