"""Wiring: which pads the VM holds (from the daemon's seat observation) → the usbmon reader,
and where every pad's buttons are read from, for `modeswitch status`.

The daemon calls `refresh()` whenever the seat may have changed (a transition ended, a VM or
USB event, a status request). Between those nothing here runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from modeswitch.model import SeatState
from modeswitch.parts.usb.spec import UsbDevice
from modeswitch.parts.usb.sysfs import BLUETOOTH, GAMEPAD
from modeswitch.parts.vm.spec import VmObservation
from modeswitch.triggers.usbmon_reader import ButtonSink, SourceOpener, UsbmonPads, VmPad
from modeswitch.triggers.usbmon_sources import open_source
from modeswitch.usbmon.hid import BadDescriptor, HidLayout, parse_descriptor
from modeswitch.usbmon.mapper import KNOWN, UNREADABLE
from modeswitch.usbmon.wireless import Adapter
from modeswitch.usbmon.xbox_adapter import ADAPTER_IDS

HOST_EVDEV = "host evdev"
NOT_READABLE = "not readable"
FIX_EVDEV = "sudo modeswitch udev-rules --install (gives the seat's user read access to pads)"

Observe = Callable[[], Awaitable[SeatState]]
SYSFS_USB = Path("/sys/bus/usb/devices")
def pads_in_vm(vm: VmObservation | None, host_usb: Iterable[UsbDevice],
               layouts: Mapping[tuple[int, int], HidLayout] | None = None,
               bluetooth: Iterable[tuple[int, int]] = ()) -> list[VmPad]:
    """USB devices the VM holds that are pads: by the host inventory's verdict or known ids;
    a generic HID pad comes with the layout read while the host had it. Wireless adapters
    (Xbox Wireless Adapter by id, Bluetooth adapters at the `bluetooth` bus/device numbers)
    count too: the pads behind them are read."""
    if vm is None:
        return []
    inventory = {(d.bus, d.device): d for d in host_usb}
    radios = set(bluetooth)
    pads = []
    for held in vm.usb:
        if held.bus is None or held.device is None:
            continue
        host = inventory.get((held.bus, held.device))
        ids = (held.vendor, held.product)
        adapter = Adapter.XBOX if ids in ADAPTER_IDS else \
            Adapter.BLUETOOTH if (held.bus, held.device) in radios else None
        if (host is not None and host.kind == GAMEPAD) or ids in KNOWN or ids in UNREADABLE or adapter:
            pads.append(VmPad(held.bus, held.device, held.vendor, held.product, host.name if host else "",
                              (layouts or {}).get(ids), adapter))
    return pads


def host_rows(evdev: Sequence[Any], host_usb: Iterable[UsbDevice],
              in_vm: Iterable[VmPad]) -> list[dict[str, Any]]:
    """Pads read on the host, and USB pads on the host that no evdev reader covers."""
    rows: list[dict[str, Any]] = [{**asdict(pad), "source": HOST_EVDEV} for pad in evdev]
    read_ids = {(pad.vendor, pad.product) for pad in evdev}
    held = {(pad.bus, pad.device) for pad in in_vm}
    for device in host_usb:
        if device.kind != GAMEPAD or (device.bus, device.device) in held:
            continue
        if (device.vendor, device.product) not in read_ids:
            rows.append({"name": device.name or device.ident, "vendor": device.vendor, "product": device.product,
                         "bus": device.bus, "device": device.device, "source": NOT_READABLE,
                         "reason": "no readable evdev node for it on the host", "fix": FIX_EVDEV})
    return rows


def read_layout(sysfs: Path, device: UsbDevice) -> HidLayout | None:
    """The HID report descriptor of a pad the host drives (gone once the VM has claimed it)."""
    for path in sorted(sysfs.glob(f"{device.port}:*/*/report_descriptor")):
        try:
            return parse_descriptor(path.read_bytes())
        except (OSError, BadDescriptor):
            continue
    return None


def bluetooth_adapters(seen: SeatState) -> set[tuple[int, int]]:
    """Bus/device numbers of the Bluetooth adapters the VM holds (the host inventory still
    lists them while the VM has them: only the host driver lets go)."""
    if seen.vm is None:
        return set()
    held = {(u.bus, u.device) for u in seen.vm.usb}
    return {(d.bus, d.device) for d in seen.host_usb if (d.bus, d.device) in held and d.kind == BLUETOOTH}


class VmPadFollower:
    FOLLOWS = frozenset({"vm", "usb"})  # what it observes: where the USB devices are, nothing else

    def __init__(self, usbmon: UsbmonPads, observe: Observe, sysfs: Path = SYSFS_USB) -> None:
        self.usbmon = usbmon
        self._observe = observe
        self._sysfs = sysfs
        self._seen: SeatState | None = None
        self._layouts: dict[tuple[int, int], HidLayout] = {}
        self._radios: set[tuple[int, int]] = set()

    @classmethod
    def build(cls, root: Path, threshold: float, sink: ButtonSink, observe: Observe,
              opener: SourceOpener = open_source, sysfs: Path = SYSFS_USB) -> VmPadFollower:
        return cls(UsbmonPads(root, threshold, sink, opener), observe, sysfs)

    async def refresh(self) -> None:
        self.follow(await self._observe())

    def follow(self, seen: SeatState) -> None:
        self._seen = seen
        self._learn_layouts(seen)
        self._radios = bluetooth_adapters(seen)
        self.usbmon.follow(pads_in_vm(seen.vm, seen.host_usb, self._layouts, self._radios),
                           asyncio.get_running_loop())

    def _learn_layouts(self, seen: SeatState) -> None:
        """Generic HID pads on the host: keep their report layout for when they go to the VM."""
        held = {(u.bus, u.device) for u in seen.vm.usb} if seen.vm is not None else set()
        for device in seen.host_usb:
            ids = (device.vendor, device.product)
            if (device.kind != GAMEPAD or ids in self._layouts or ids in KNOWN or ids in UNREADABLE
                    or (device.bus, device.device) in held):
                continue
            layout = read_layout(self._sysfs, device)
            if layout is not None:
                self._layouts[ids] = layout

    def describe(self, evdev: Sequence[Any], now: SeatState | None = None) -> list[dict[str, Any]]:
        """The pads as `now` shows them (status's own look), without moving the reader: that
        follows switches only."""
        seen = now if now is not None else self._seen
        in_vm = pads_in_vm(seen.vm, seen.host_usb, self._layouts, self._radios) if seen is not None else []
        host = host_rows(evdev, seen.host_usb if seen is not None else (), in_vm)
        return host + self.usbmon.describe()

    def close(self) -> None:
        self.usbmon.close()


def describe_pads(evdev: Sequence[Any], follower: VmPadFollower | None,
                  now: SeatState | None = None) -> list[dict[str, Any]]:
    """status's `pads`: every pad with where its buttons are read from (and why not)."""
    if follower is None:
        return [{**asdict(pad), "source": HOST_EVDEV} for pad in evdev]
    return follower.describe(evdev, now)
