"""Scenario run inside `umockdev-wrapper`: the USB watcher on the real pyudev netlink monitor.

Usage: umockdev-wrapper PYTHON umockdev_usb.py usbwatch WORKDIR
An emulated Xbox 360 pad (a whole usb_device with the sysfs attributes the kernel shows) and
an input device under it send add/remove uevents; a second, unfiltered monitor proves the
uevents the watcher must ignore were really sent. Prints one JSON object on its last line.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pyudev

from modeswitch.triggers.usbwatch import UsbWatcher

WAIT = 10.0
WINDOW = 0.2
PAD_ATTRIBUTES = ["idVendor", "045e", "idProduct", "028e", "busnum", "1", "devnum", "5",
                  "devpath", "3", "product", "Controller", "manufacturer", "Microsoft"]
PAD_PROPERTIES = ["DEVTYPE", "usb_device", "PRODUCT", "45e/28e/114", "TYPE", "255/255/255",
                  "BUSNUM", "001", "DEVNUM", "005", "DEVNAME", "/dev/bus/usb/001/005"]


class Calls:
    """The watcher's callback: records each call and wakes whoever waits for the next."""

    def __init__(self) -> None:
        self.seen: list[list[str]] = []
        self.changed = asyncio.Event()

    def __call__(self, action: str, what: str) -> None:
        self.seen.append([action, what])
        self.changed.set()

    async def reach(self, count: int) -> bool:
        while len(self.seen) < count:
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), WAIT)
            except TimeoutError:
                return False
        return True


class Control:
    """An unfiltered monitor read on the loop too (umockdev's uevent sender aborts when a
    listener's buffer is full): every uevent sent, as "action subsystem devtype"."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.seen: list[str] = []
        self.monitor = pyudev.Monitor.from_netlink(pyudev.Context())
        self.monitor.start()
        self.loop = loop
        loop.add_reader(self.monitor.fileno(), self._readable)

    def _readable(self) -> None:
        while (device := self.monitor.poll(timeout=0)) is not None:
            self.seen.append(f"{device.action} {device.subsystem} {device.device_type}")

    def close(self) -> None:
        self.loop.remove_reader(self.monitor.fileno())


async def usbwatch(testbed: Any) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    control = Control(loop)
    calls = Calls()
    watcher = UsbWatcher(calls, window=WINDOW)
    watcher.start(loop)
    result: dict[str, Any] = {}
    try:
        pad = testbed.add_device("usb", "usb1/1-3", None, PAD_ATTRIBUTES, PAD_PROPERTIES)
        interface = testbed.add_device("usb", "usb1/1-3/1-3:1.0", pad, ["bInterfaceClass", "ff"],
                                       ["DEVTYPE", "usb_interface", "INTERFACE", "255/93/1"])
        node = testbed.add_device("input", "input7", interface, ["name", "Microsoft X-Box 360 pad"],
                                  ["ID_INPUT", "1", "ID_INPUT_JOYSTICK", "1"])
        for _ in range(3):  # a reconnect storm: add, add, add
            testbed.uevent(pad, "add")
        result["plugged"] = await calls.reach(1)
        for device in (node, interface):  # same subsystem or below the pad, not a usb_device
            testbed.uevent(device, "add")
            testbed.uevent(device, "remove")
        testbed.uevent(pad, "remove")  # same burst as the input node's uevents
        result["unplugged"] = await calls.reach(2)
        testbed.uevent(pad, "remove")
        testbed.uevent(pad, "add")  # replugged within one window: one call, an add
        result["replugged"] = await calls.reach(3)
        result["control_saw"] = control.seen
        fd = watcher._monitor.fileno()
        watcher.stop()
        result["reader_left_after_stop"] = loop.remove_reader(fd)
        result["running_after_stop"] = watcher.running
    finally:
        watcher.stop()
        control.close()
    result["calls"] = calls.seen
    return result


def main(name: str, workdir: Path) -> dict[str, Any]:
    import gi

    gi.require_version("UMockdev", "1.0")
    from gi.repository import UMockdev

    testbed = UMockdev.Testbed.new()  # first: before anything asks umockdev
    assert name == "usbwatch", name
    return asyncio.run(usbwatch(testbed))


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], Path(sys.argv[2]))))
