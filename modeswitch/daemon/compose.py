"""Builds the real backends a config needs: the composition root of the daemon, the one-shot
CLI and the demo (which passes its stand-ins in as `given`).

A backend is only built when some mode uses its part (parts/registry.py says which parts
there are and how each is built), so a seat without audio never loads libpulse and a config
without a VM never connects to libvirt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from modeswitch.config.loader import Config
from modeswitch.core.history import HistoryLog
from modeswitch.core.seat import BackendSet, Seat
from modeswitch.errors import BackendError, ModeswitchError, ReloadRefused
from modeswitch.notices import Notifier
from modeswitch.parts.part import BuildContext
from modeswitch.parts.protocols import Reconfigurable, ServerClient
from modeswitch.parts.registry import PARTS, wiring
from modeswitch.paths import Paths

EventHandler = Callable[[str, Any], None]
log = logging.getLogger(__name__)


async def build_backends(
    config: Config, paths: Paths, on_event: EventHandler | None = None, *, resident: bool = True,
    tolerate_unreachable: bool | None = None, given: Mapping[str, Any] | None = None,
) -> BackendSet:
    """`resident` is False for the one-shot CLI: the viewer must then outlive the process.

    An unreachable libvirt is tolerated (observed as disconnected) by the daemon and by
    `status`, which report it; a one-shot switch or plan fails on it with one line instead.
    `given` backends are used as they are instead of building those parts."""
    tolerate = resident if tolerate_unreachable is None else tolerate_unreachable
    ctx = BuildContext(config, paths, on_event, tolerate, resident, dict(given or {}))
    return await _build(ctx, [name for name, spec in wiring(config).items() if spec is not None])


async def _build(ctx: BuildContext, names: list[str]) -> BackendSet:
    """Build `names` in registry order; on a failure close what was built, then raise."""
    made: dict[str, Any] = {}
    try:
        for part in PARTS:
            if part.name in names and part.name not in ctx.built and part.build is not None:
                made[part.name] = ctx.built[part.name] = await part.build(ctx)
    except ModeswitchError:
        await BackendSet(**made).close()
        raise
    return BackendSet(**{part.name: ctx.built[part.name] for part in PARTS if part.name in ctx.built})


async def rewire(current: BackendSet, old: Config, new: Config, paths: Paths,
                 on_event: EventHandler | None) -> tuple[BackendSet, list[str]]:
    """The backends `new` needs: parts whose wiring did not change are kept (with their
    connections, a running viewer and event listeners), changed and added parts are built and
    connected first, and only then are the parts no longer needed closed. If building fails,
    ReloadRefused says why and the current backends are untouched. Returns what changed."""
    before, after = wiring(old), wiring(new)
    changed = [part for part in after if before.get(part) != after[part]]
    kept = {part: current.get(part) for part in after if part not in changed and current.get(part) is not None}
    wanted = [part for part in changed if after[part] is not None]
    ctx = BuildContext(new, paths, on_event, False, True, dict(kept))
    fresh: BackendSet | None = None
    try:
        fresh = await _build(ctx, [*kept, *wanted])
        await _refuse_unreachable(fresh, wanted)
    except ModeswitchError as exc:
        if fresh is not None:
            await BackendSet(**{part: fresh.get(part) for part in wanted}).close()
        raise ReloadRefused(f"reload refused, keeping the last good config: {exc}") from None
    for backend in fresh.parts.values():
        if isinstance(backend, Reconfigurable):  # a kept viewer keeps its process; the new grace applies
            backend.reconfigure(new)
    await BackendSet(**{part: current.get(part) for part in changed}).close()
    return fresh, changed


async def _refuse_unreachable(fresh: BackendSet, built: list[str]) -> None:
    """A newly built backend whose server does not answer refuses the reload now, not at the
    next switch (the sound server: libvirt is retried in the background instead)."""
    for part in built:
        backend = fresh.get(part)
        if not isinstance(backend, ServerClient):
            continue
        seen = await backend.observe()
        if not seen.connected:
            raise BackendError(seen.error or f"cannot reach the {part} server")


async def build_seat(
    config: Config, paths: Paths, on_event: EventHandler | None = None, *, resident: bool = True,
    tolerate_unreachable: bool | None = None, given: Mapping[str, Any] | None = None,
) -> Seat:
    backends = await build_backends(config, paths, on_event, resident=resident,
                                    tolerate_unreachable=tolerate_unreachable, given=given)
    return Seat(config, backends, HistoryLog(paths.history))


def build_notifier() -> Notifier:
    """Desktop notifications on the session bus; connects on the first notice, so a daemon
    with notifications turned off in config.yaml never opens the bus."""
    from modeswitch.daemon.notifications import DbusNotifier

    return DbusNotifier()
