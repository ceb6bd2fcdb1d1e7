"""Input nodes coming and going, and the config rules that react to a controller connecting.

Nodes are noticed from udev's netlink monitor on the event loop, not by watching /dev:
udev announces a node after its rules ran, so permissions (uaccess) are usually in place,
and the same uevent carries the remove when a pad is unplugged or handed to the VM.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import evdev
import pyudev

from modeswitch.model import GAMEPAD, HotplugRule
from modeswitch.triggers.base import Requester, SeatView
from modeswitch.triggers.pads import InputIdentity
from modeswitch.triggers.udev_monitor import LoopMonitor

log = logging.getLogger(__name__)

# Right after "add" the node may not be ours yet: udev is still applying uaccess (EACCES,
# EPERM), or the device vanished again in a reconnect (ENODEV, ENOENT, ENXIO).
TRANSIENT_ERRNOS = {errno.EACCES, errno.EPERM, errno.ENODEV, errno.ENOENT, errno.ENXIO}
OPEN_ATTEMPTS = 7
FIRST_DELAY = 0.05
MAX_DELAY = 1.0


def is_event_node(path: str, input_dir: Path) -> bool:
    node = Path(path)
    return node.parent == input_dir and node.name.startswith("event")


async def open_with_backoff(path: str, attempts: int = OPEN_ATTEMPTS) -> evdev.InputDevice | None:
    """Open a fresh node, retrying transient errors with doubling delays (about 3 s in all)."""
    delay = FIRST_DELAY
    for attempt in range(1, attempts + 1):
        try:
            return evdev.InputDevice(path)
        except OSError as exc:
            if exc.errno not in TRANSIENT_ERRNOS or attempt == attempts:
                log.debug("giving up on %s: %s", path, exc)
                return None
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_DELAY)
    return None


class UdevInputWatcher:
    """Calls on_add/on_remove with the path of each event node udev announces."""

    def __init__(
        self,
        input_dir: Path,
        on_add: Callable[[str], None],
        on_remove: Callable[[str], None],
    ) -> None:
        self._input_dir = input_dir
        self._on_add = on_add
        self._on_remove = on_remove
        self._monitor = LoopMonitor("input", self._device)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._monitor.start(loop)

    def _device(self, device: pyudev.Device) -> None:
        node = device.device_node
        if node is None or not is_event_node(node, self._input_dir):
            return
        if device.action == "add":
            self._on_add(node)
        elif device.action == "remove":
            self._on_remove(node)

    def stop(self) -> None:
        self._monitor.stop()


class HotplugRules:
    """Decides what a connect means. Pure apart from asking the seat and the requester.

    The first matching rule decides. A rule that fired stays quiet until its debounce window
    passes with no matching connect, so a pad that drops and reconnects five times (weak
    Bluetooth, a hub re-enumerating) causes one transition, not five.
    """

    def __init__(self, rules: Sequence[HotplugRule], requester: Requester, seat: SeatView) -> None:
        self._rules = tuple(rules)
        self._requester = requester
        self._seat = seat
        self._last_seen: dict[int, float] = {}

    def connected(self, identity: InputIdentity, now: float) -> str | None:
        """Returns the mode requested, or None; the reason for None goes to the log."""
        for index, rule in enumerate(self._rules):
            if not rule_matches(rule, identity):
                continue
            last = self._last_seen.get(index)
            self._last_seen[index] = now
            if last is not None and now - last < rule.debounce:
                log.debug("%s: debounced", identity.name)
                return None
            if self._seat.current_mode() == rule.mode:
                return None
            if rule.only_when_vm_running and not self._seat.vm_running():
                log.info("%s connected, VM not running: staying", identity.name)
                return None
            self._requester.request(rule.mode, f"hotplug {identity.name} connected")
            return rule.mode
        return None


def rule_matches(rule: HotplugRule, identity: InputIdentity) -> bool:
    if rule.kind == GAMEPAD and not identity.gamepad:
        return False
    if rule.vendor is not None and rule.vendor != identity.vendor:
        return False
    return rule.product is None or rule.product == identity.product
