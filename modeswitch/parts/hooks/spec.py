"""The hooks part: programs run on the host before and after a mode is entered. Pure vocabulary."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hook:
    argv: tuple[str, ...]
    timeout: float = 10.0
    undo: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Hooks:
    before: tuple[Hook, ...] = ()
    after: tuple[Hook, ...] = ()
