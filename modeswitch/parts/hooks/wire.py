"""Builds the hooks part's backend: host programs with run records, so a dead daemon's hooks
are ended before anything runs again."""

from __future__ import annotations

from modeswitch.parts.part import BuildContext


async def build(ctx: BuildContext) -> object:
    from modeswitch.parts.hooks.backend import HookRunner
    from modeswitch.parts.processes import RunRecords

    records = RunRecords(ctx.paths.runtime / "runs", owner=str(ctx.paths.runtime))
    records.end_leftovers()  # hooks of a modeswitch process that died mid-run (kill -9)
    return HookRunner(records=records)
