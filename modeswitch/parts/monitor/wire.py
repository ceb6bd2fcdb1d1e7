"""Builds the monitor part's backend: DDC/CI to the monitor the modes name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modeswitch.parts.part import BuildContext

if TYPE_CHECKING:
    from modeswitch.config.loader import Config


def wiring(config: Config) -> tuple[str | None, str | None, str | None]:
    """Which monitor is observed: the first mode's model, serial and bus (a step carries its bus)."""
    spec = next(m.monitor for m in config.modes.values() if m.monitor is not None)
    return spec.model, spec.serial, spec.bus


async def build(ctx: BuildContext) -> object:
    from modeswitch.parts.monitor.backend import DdcBackend

    return DdcBackend(*wiring(ctx.config))
