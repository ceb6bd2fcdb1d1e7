"""The display part: the host outputs a mode sets, and the layout seen. Pure vocabulary."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OutputSetting:
    """One xrandr output in a mode's `display` list."""

    output: str
    enabled: bool = True
    mode: str | None = None
    primary: bool = False
    right_of: str | None = None


@dataclass(frozen=True)
class DisplayObservation:
    outputs: tuple[OutputSetting, ...] = ()
    primary_supported: bool = True  # False on compositors without a primary output (sway)
