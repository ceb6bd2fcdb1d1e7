"""Builds the tv part's backend: the CEC adapter every mode names (config checks they agree)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modeswitch.parts.part import BuildContext

if TYPE_CHECKING:
    from modeswitch.config.loader import Config


def wiring(config: Config) -> tuple[object, ...]:
    return (adapter(config),)


def adapter(config: Config) -> str:
    """The adapter the modes name (a step carries its own; this one is observed)."""
    return next(m.tv.device for m in config.modes.values() if m.tv is not None)


async def build(ctx: BuildContext) -> object:
    from modeswitch.parts.tv.backend import CecBackend

    return CecBackend(adapter(ctx.config))
