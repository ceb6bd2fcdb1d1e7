"""Emulated USB keyboards standing in for pads, for the embedded VM of the demo and tests.

A stand-in hot-plugs on any machine (no host device needed) and travels through exactly the
same attach/detach/observe path as a pad. A device the stand-in sysfs tree does not list is
asked for as the real hostdev, which libvirt refuses as it would for an unplugged pad.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from modeswitch.parts.protocols import UsbInventory
from modeswitch.parts.vm.domain_xml import HostdevXml, usb_alias


class StandInXml:
    def __init__(self, inventory: UsbInventory | None = None) -> None:
        self._inventory = inventory

    def usb_xml(self, vendor: int, product: int, bus: int | None, device: int | None) -> str:
        if not self._present(vendor, product, bus, device):
            return HostdevXml().usb_xml(vendor, product, bus, device)
        return (
            "<input type='keyboard' bus='usb'>\n"
            f"  <alias name='{usb_alias(vendor, product, bus, device)}'/>\n"
            "</input>"
        )

    def _present(self, vendor: int, product: int, bus: int | None, device: int | None) -> bool:
        if self._inventory is None:
            return True
        return any((d.vendor, d.product) == (vendor, product) and bus in (None, d.bus) and device in (None, d.device)
                   for d in self._inventory.scan())


@dataclass(frozen=True)
class FakeUsbDevice:
    """A device to write into a sysfs-shaped tree (the demo's stand-in pads)."""

    vendor: int
    product: int
    bus: int
    device: int
    devpath: str
    name: str
    serial: str | None = None
    interface: tuple[int, int, int] = (0xFF, 0x5D, 0x01)


def write_usb_tree(root: Path, devices: Iterable[FakeUsbDevice]) -> Path:
    """Write the attributes SysfsUsbInventory reads, so a demo host has pads to move around."""
    root.mkdir(parents=True, exist_ok=True)
    for dev in devices:
        name = f"{dev.bus}-{dev.devpath}"
        attrs = {"idVendor": f"{dev.vendor:04x}", "idProduct": f"{dev.product:04x}",
                 "busnum": str(dev.bus), "devnum": str(dev.device), "devpath": dev.devpath,
                 "product": dev.name}
        if dev.serial:
            attrs["serial"] = dev.serial
        _write_attrs(root / name, attrs)
        cls, sub, proto = dev.interface
        _write_attrs(root / f"{name}:1.0", {"bInterfaceClass": f"{cls:02x}",
                                            "bInterfaceSubClass": f"{sub:02x}",
                                            "bInterfaceProtocol": f"{proto:02x}"})
    return root


def _write_attrs(directory: Path, attrs: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for key, value in attrs.items():
        (directory / key).write_text(value + "\n")
