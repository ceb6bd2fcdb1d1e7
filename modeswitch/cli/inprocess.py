"""The CLI's path when no daemon runs: the same Coordinator and Seat, run once, under a lock.

The lock (flock on a file in the runtime dir) keeps two one-shot switches from interleaving;
a viewer started here is left running on exit, and a later daemon adopts it. Everything else
(resolve, validate, observe once, plan, run, outcome) is the daemon's code path, not a copy.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from modeswitch.config.loader import Config
from modeswitch.core.coordinator import Coordinator
from modeswitch.core.outcome import Outcome
from modeswitch.daemon.compose import build_seat
from modeswitch.errors import ModeswitchError
from modeswitch.model import SeatState
from modeswitch.parts.registry import seat_json
from modeswitch.paths import Paths

T = TypeVar("T")


@contextmanager
def transition_lock(paths: Paths) -> Iterator[None]:
    paths.ensure_runtime()
    fd = os.open(paths.lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ModeswitchError("another modeswitch transition is running", "wait for it to finish") from None
        yield
    finally:
        os.close(fd)


def _with_coordinator(config: Config, paths: Paths, work: Callable[[Coordinator, SeatState], Awaitable[T]], *,
                      observing: bool = False) -> T:
    """One look at the seat per command: `work` gets the observation that located the mode."""
    async def run() -> T:
        seat = await build_seat(config, paths, resident=False, tolerate_unreachable=observing)
        try:
            coordinator = Coordinator(seat)
            seen = await coordinator.sync_from_world()
            return await work(coordinator, seen)
        finally:
            await seat.backends.close()

    return asyncio.run(run())


def switch_in_process(config: Config, paths: Paths, action: str) -> Outcome:
    async def work(coordinator: Coordinator, seen: SeatState) -> Outcome:
        return await coordinator.request(action, "cli (in-process)", seen=seen)

    with transition_lock(paths):
        return _with_coordinator(config, paths, work)


def status_in_process(config: Config, paths: Paths) -> dict[str, Any]:
    async def work(coordinator: Coordinator, seen: SeatState) -> dict[str, Any]:
        return {**coordinator.status(), "daemon": None, "config": str(config.path),
                "seat": seat_json(seen), "pads": []}

    return _with_coordinator(config, paths, work, observing=True)


def plan_in_process(config: Config, paths: Paths, mode: str) -> dict[str, Any]:
    async def work(coordinator: Coordinator, seen: SeatState) -> dict[str, Any]:
        return (await coordinator.plan(mode, seen=seen)).as_dict()

    return _with_coordinator(config, paths, work)
