"""The vm part: whether a mode wants the VM running, and what the VM holds. Pure vocabulary."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class VmPower(StrEnum):
    RUNNING = "running"
    ANY = "any"


@dataclass(frozen=True)
class AttachedUsb:
    """A USB hostdev the live VM holds, with the XML libvirt reports for it."""

    vendor: int
    product: int
    bus: int | None
    device: int | None
    xml: str
    alias: str | None = None


@dataclass(frozen=True)
class AttachedInput:
    """An evdev input the live VM holds (native device or our QMP input-linux object)."""

    path: str
    handle: str  # QMP object id or libvirt alias, whatever detach needs


@dataclass(frozen=True)
class VmObservation:
    domain: str
    connected: bool
    state: str  # "running", "paused", "shutoff", ... or "unknown" when disconnected
    usb: tuple[AttachedUsb, ...] = ()
    inputs: tuple[AttachedInput, ...] = ()
    error: str | None = None
    agent: str | None = None  # the guest agent channel: connected, disconnected, no-channel, vm-off
