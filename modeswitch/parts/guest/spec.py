"""The guest part: programs run inside the VM when a mode is entered. Pure vocabulary."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GuestAction:
    """A program run inside the VM through qemu-guest-agent when a mode is entered."""

    argv: tuple[str, ...]
    timeout: float = 30.0
    undo: tuple[str, ...] | None = None
