"""What the adapter decoders share: a USB device that carries several pads (an Xbox Wireless
Adapter, a Bluetooth adapter) is read by one demultiplexer, which turns its usbmon records
into button changes per pad behind it.

A demultiplexer is pure: records in, `PadChange`s out, plus `Note`s for input it had to skip
(cut-short frames, reassemblies that never finished, unknown frame types); the caller logs
those, one line each. Whenever a pad's state can no longer be trusted (it left, its channel
closed, its stream had a gap), the demultiplexer lets go of its held buttons itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple, Protocol

from modeswitch.usbmon.monbin import MonRecord


class Adapter(StrEnum):
    XBOX = "Xbox Wireless Adapter"
    BLUETOOTH = "Bluetooth"


class PadChange(NamedTuple):
    pad: str  # the pad's identity behind the adapter: its MAC, or the link when no MAC was seen
    button: str
    value: int


class Note(NamedTuple):
    key: str  # what kind of trouble, for logging each kind once per adapter
    message: str


@dataclass
class WirelessPad:
    """One pad behind an adapter, as `status` and `pads --capture` show it."""

    ident: str
    protocol: str | None = None
    how: str = ""  # how it was told apart / recognised ("association", "report shape", ...)
    link: str = ""  # the adapter-side handle: "WCID 1", "ACL handle 0x000b, CID 0x0041"
    reports: int = 0


class Demux(Protocol):
    adapter: Adapter

    def feed(self, record: MonRecord) -> Sequence[PadChange]: ...

    def reset(self) -> list[PadChange]: ...

    def pads(self) -> list[WirelessPad]: ...

    def notes(self) -> list[Note]:
        """What was skipped since the last call (drained)."""
        ...


def mac(raw: bytes) -> str:
    """An 802.11 address in frame order (Bluetooth's come reversed: bluetooth.address)."""
    return raw.hex(":")


def releases(pad: str, changes: Sequence[tuple[str, int]]) -> list[PadChange]:
    return [PadChange(pad, button, value) for button, value in changes]
