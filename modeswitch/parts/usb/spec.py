"""The usb part: which host USB devices (pads) a mode hands to the VM, and what the host has. Pure vocabulary."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UsbMatch:
    """One controller rule from a mode's `usb` list. Unset fields match anything."""

    label: str
    vendor: int | None = None
    product: int | None = None
    serial: str | None = None
    port: str | None = None  # sysfs devpath such as "1-2.3": the physical port
    kind: str | None = None  # "gamepad"
    optional: bool = False  # a rule that matches nothing is then not an error

    @property
    def kind_only(self) -> bool:
        return self.kind is not None and not (self.vendor or self.serial or self.port)


@dataclass(frozen=True)
class UsbDevice:
    """A USB device present on the host, as read from sysfs."""

    vendor: int
    product: int
    bus: int
    device: int
    port: str
    serial: str | None = None
    name: str = ""
    kind: str | None = None  # "gamepad" when it is one

    @property
    def ident(self) -> str:
        return f"{self.vendor:04x}:{self.product:04x}@{self.bus:03d}.{self.device:03d}"
