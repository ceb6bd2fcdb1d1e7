"""The host's USB devices as sysfs shows them: the inventory USB match rules resolve against.

sysfs is read rather than libusb because it needs no device access rights and carries the
topology (busnum, devnum, devpath) that tells two identical pads apart. The root is an
argument so tests and the demo can hand in a tree shaped like a real capture.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from modeswitch.parts.usb.spec import UsbDevice

GAMEPAD = "gamepad"
BLUETOOTH = "bluetooth"  # an adapter: pads paired with it are read behind it (usbmon/bt_pads.py)
WIRELESS_CONTROLLER = 0xE0  # USB class of Bluetooth adapters, on the device or an interface

# (bInterfaceClass, bInterfaceSubClass, bInterfaceProtocol) that only game controllers use.
# These are the ones the kernel's xpad driver binds by interface, so they are stable facts.
GAMEPAD_INTERFACES = frozenset({
    (0xFF, 0x5D, 0x01),  # Xbox 360 wired controller
    (0xFF, 0x5D, 0x81),  # Xbox 360 wireless receiver, per controller slot
    (0xFF, 0x47, 0xD0),  # Xbox One / Series (GIP)
})

# Pads whose descriptors do not say "gamepad": wireless dongles with vendor-specific
# interfaces, and HID pads before a driver has bound (no js node yet). Kept small on purpose:
# anything else is classified from its interfaces, and a rule can always name vendor:product.
KNOWN_GAMEPADS = frozenset({
    (0x045E, 0x02FE),  # Xbox Wireless Adapter for Windows
    (0x045E, 0x02E6),  # Xbox Wireless Adapter (first model)
    (0x045E, 0x0719),  # Xbox 360 Wireless Receiver
    (0x054C, 0x0CE6),  # DualSense
    (0x054C, 0x0DF2),  # DualSense Edge
    (0x054C, 0x05C4),  # DualShock 4
    (0x054C, 0x09CC),  # DualShock 4 (second revision)
    (0x057E, 0x2009),  # Switch Pro Controller
    (0x28DE, 0x1142),  # Steam Controller wireless dongle
})

HID_CLASS = 0x03


def _read(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace").strip()
    except OSError:
        return None


def _hex(path: Path) -> int | None:
    text = _read(path)
    try:
        return int(text, 16) if text else None
    except ValueError:
        return None


def _interfaces(device_dir: Path) -> list[Path]:
    return sorted(p for p in device_dir.parent.glob(f"{device_dir.name}:*") if p.is_dir())


def _interface_triple(interface: Path) -> tuple[int | None, int | None, int | None]:
    return (_hex(interface / "bInterfaceClass"), _hex(interface / "bInterfaceSubClass"),
            _hex(interface / "bInterfaceProtocol"))


def _has_joystick(interface: Path) -> bool:
    """A HID interface whose input device got a js node is a joystick to the kernel."""
    return any(True for _ in interface.glob("*/input/input*/js*"))


def is_gamepad(vendor: int, product: int, interfaces: Iterable[Path]) -> bool:
    if (vendor, product) in KNOWN_GAMEPADS:
        return True
    for interface in interfaces:
        triple = _interface_triple(interface)
        if triple in GAMEPAD_INTERFACES:
            return True
        if triple[0] == HID_CLASS and _has_joystick(interface):
            return True
    return False


def is_bluetooth(device_dir: Path, interfaces: Iterable[Path]) -> bool:
    classes = [_hex(device_dir / "bDeviceClass")] + [_hex(i / "bInterfaceClass") for i in interfaces]
    return WIRELESS_CONTROLLER in classes


def read_device(device_dir: Path) -> UsbDevice | None:
    """One sysfs USB device directory → UsbDevice; None for interfaces and root hubs."""
    vendor, product = _hex(device_dir / "idVendor"), _hex(device_dir / "idProduct")
    busnum, devnum = _read(device_dir / "busnum"), _read(device_dir / "devnum")
    devpath = _read(device_dir / "devpath")
    if vendor is None or product is None or not busnum or not devnum or devpath in (None, "0"):
        return None
    try:
        bus, device = int(busnum), int(devnum)
    except ValueError:
        return None
    interfaces = _interfaces(device_dir)
    kind = GAMEPAD if is_gamepad(vendor, product, interfaces) else \
        BLUETOOTH if is_bluetooth(device_dir, interfaces) else None
    return UsbDevice(vendor=vendor, product=product, bus=bus, device=device,
                     port=f"{bus}-{devpath}", serial=_read(device_dir / "serial") or None,
                     name=_read(device_dir / "product") or "", kind=kind)


class SysfsUsbInventory:
    """UsbInventory over /sys/bus/usb/devices (or a tree shaped like it)."""

    def __init__(self, root: Path = Path("/sys/bus/usb/devices")) -> None:
        self.root = root

    async def observe(self) -> tuple[UsbDevice, ...]:
        return self.scan()

    def scan(self) -> tuple[UsbDevice, ...]:
        if not self.root.is_dir():
            return ()
        found = (read_device(entry) for entry in self.root.iterdir() if ":" not in entry.name)
        devices = [d for d in found if d is not None]
        return tuple(sorted(devices, key=lambda d: (d.bus, d.device)))
