"""Emulated USB keyboards standing in for pads, for the embedded VM of the demo and tests.

A stand-in hot-plugs on any machine (no host device needed) and travels through exactly the
same attach/detach/observe path as a pad. A device the stand-in sysfs tree does not list is
asked for as the real hostdev, which libvirt refuses as it would for an unplugged pad.
"""

from __future__ import annotations

from modeswitch.backends.base import UsbInventory
from modeswitch.backends.libvirt.domain_xml import HostdevXml, usb_alias


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
