"""Builds the viewer part's backend: the Looking Glass supervisor.

`resident` is False for the one-shot CLI: the viewer must then outlive the process."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modeswitch.parts.part import BuildContext

if TYPE_CHECKING:
    from modeswitch.config.loader import Config


def default_argv(config: Config) -> tuple[str, ...]:
    """What a restart after an undo runs when no viewer was recorded."""
    argv = next((m.viewer.argv for m in config.modes.values() if m.viewer and m.viewer.run), None)
    return argv or ("looking-glass-client", "-F")


async def build(ctx: BuildContext) -> object:
    from modeswitch.parts.viewer.backend import ViewerSupervisor

    return ViewerSupervisor(default_argv(ctx.config), ctx.paths.viewer_pidfile, ctx.config.viewer_grace,
                            stop_on_close=ctx.resident, owner=str(ctx.paths.runtime))
