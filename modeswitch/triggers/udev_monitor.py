"""udev's netlink monitor read on the event loop: the one way the triggers hear of devices.

Filtered in the kernel socket (BPF) to one subsystem, so an idle seat sees no wakeups for
devices nobody asked about; drained without blocking whenever the socket is readable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pyudev


class LoopMonitor:
    """Calls `on_device(device)` for every uevent of `subsystem` (and `device_type`)."""

    def __init__(self, subsystem: str, on_device: Callable[[pyudev.Device], None],
                 device_type: str | None = None) -> None:
        self._subsystem, self._device_type = subsystem, device_type
        self._on_device = on_device
        self._monitor: pyudev.Monitor | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def running(self) -> bool:
        return self._monitor is not None

    def fileno(self) -> int:
        """The netlink socket the loop watches, -1 when stopped."""
        return self._monitor.fileno() if self._monitor is not None else -1

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        monitor = pyudev.Monitor.from_netlink(pyudev.Context())
        monitor.filter_by(self._subsystem, self._device_type)
        monitor.start()
        loop.add_reader(monitor.fileno(), self._readable)
        self._monitor, self._loop = monitor, loop

    def stop(self) -> None:
        if self._monitor is not None and self._loop is not None:
            self._loop.remove_reader(self._monitor.fileno())
        self._monitor = None  # pyudev closes the netlink socket when the monitor is freed
        self._loop = None

    def _readable(self) -> None:
        while self._monitor is not None:
            device = self._monitor.poll(timeout=0)
            if device is None:
                return
            self._on_device(device)
