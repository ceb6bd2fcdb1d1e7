"""Builds the usb part's backend: the host's USB devices, read from sysfs."""

from __future__ import annotations

from modeswitch.parts.part import BuildContext


async def build(_ctx: BuildContext) -> object:
    from modeswitch.parts.usb.sysfs import SysfsUsbInventory

    return SysfsUsbInventory()
