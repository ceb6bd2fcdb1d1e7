"""Builds the audio part's backend: the sound server the config names (PULSE_SERVER's syntax)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modeswitch.parts.part import BuildContext

if TYPE_CHECKING:
    from modeswitch.config.loader import Config


def wiring(config: Config) -> tuple[object, ...]:
    return (config.pulse_server,)


async def build(ctx: BuildContext) -> object:
    from modeswitch.parts.audio.backend import PulseAudioBackend

    return PulseAudioBackend(ctx.config.pulse_server, ctx.forward("audio") if ctx.on_event else None)
