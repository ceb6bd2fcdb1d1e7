"""USB devices coming and going, so the daemon re-plans the `usb` part of the mode it is in.

A pad unplugged while attached leaves a stale hostdev in the VM, and a pad replugged comes
back with a new device number; neither is a reason to switch modes (the input hotplug rules
stay quiet when the seat is already in the wanted mode), but both need a usb reconcile.

udev's netlink monitor is read on the event loop, filtered in the kernel socket (BPF) to
whole USB devices, so interfaces and input nodes never wake the daemon. A hub re-enumerating
or a pad reconnecting sends a burst of uevents; the burst is reported once, when it has been
quiet for `window` seconds. While idle no timer is armed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pyudev

from modeswitch.triggers.udev_monitor import LoopMonitor

log = logging.getLogger(__name__)

DEBOUNCE = 0.5
ACTIONS = ("add", "remove")

UsbCallback = Callable[[str, str], None]


def describe(properties: Mapping[str, str]) -> str:
    """From the uevent's own properties: on "remove" the sysfs attributes are already gone,
    but the kernel still sends PRODUCT (vendor/product/bcd in hex), BUSNUM and DEVNUM."""
    vendor, product = "?", "?"
    ids = properties.get("PRODUCT", "").split("/")
    if len(ids) >= 2 and all(ids[:2]):
        vendor, product = (f"{int(part, 16):04x}" if _hex(part) else part for part in ids[:2])
    where = ""
    if properties.get("BUSNUM") and properties.get("DEVNUM"):
        where = f" @{properties['BUSNUM']}.{properties['DEVNUM']}"
    return f"{vendor}:{product}{where}"


def _hex(text: str) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return True


@dataclass
class Burst:
    """What a burst of uevents amounts to. Pure: the last action wins (a replug, remove then
    add, is an add), and the description names the devices involved."""

    events: list[tuple[str, str]] = field(default_factory=list)

    def add(self, action: str, what: str) -> None:
        self.events.append((action, what))

    def summary(self) -> tuple[str, str]:
        action = self.events[-1][0]
        devices = list(dict.fromkeys(what for _, what in self.events))
        more = len(self.events) - 1
        text = ", ".join(devices)
        if more:
            text += f" (+{more} more uevent{'s' if more != 1 else ''})"
        return action, text


class UsbWatcher:
    """Calls `callback(action, description)` once per burst of USB device adds/removes."""

    def __init__(self, callback: UsbCallback, window: float = DEBOUNCE) -> None:
        self._callback = callback
        self._window = window
        self._monitor = LoopMonitor("usb", self._device, device_type="usb_device")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._burst = Burst()

    @property
    def running(self) -> bool:
        return self._monitor.running

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._monitor.start(loop)
        self._loop = loop

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._monitor.stop()
        self._loop = None
        self._burst = Burst()

    def _device(self, device: pyudev.Device) -> None:
        if device.action in ACTIONS and device.device_type == "usb_device":
            self._note(device.action, describe(device.properties))

    def _note(self, action: str, what: str) -> None:
        assert self._loop is not None
        self._burst.add(action, what)
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_later(self._window, self._fire)

    def _fire(self) -> None:
        self._timer = None
        burst, self._burst = self._burst, Burst()
        action, what = burst.summary()
        log.debug("usb %s: %s", action, what)
        self._callback(action, what)
