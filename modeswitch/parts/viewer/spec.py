"""The viewer part: whether Looking Glass runs. Pure vocabulary."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ViewerSpec:
    """Whether Looking Glass runs in this mode, and how it is started."""

    run: bool
    argv: tuple[str, ...] = ("looking-glass-client", "-F")


@dataclass(frozen=True)
class ViewerObservation:
    running: bool
    pid: int | None = None
    restarts: int = 0
