"""The inputs part: keyboards and mice handed to the VM as evdev inputs. Pure vocabulary."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EvdevInput:
    """A keyboard or mouse handed to the VM as an evdev input."""

    path: str
    grab_all: bool = True
    grab_toggle: str = "ctrl-ctrl"
    repeat: bool = True
