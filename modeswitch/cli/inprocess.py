"""The CLI's path when no daemon runs: the same Seat, run once, under an exclusive lock.

The lock (flock on a file in the runtime dir) keeps two one-shot switches from interleaving;
a viewer started here is left running on exit, and a later daemon adopts it.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any, TypeVar

from modeswitch.config.loader import Config
from modeswitch.daemon.compose import build_seat
from modeswitch.errors import ModeswitchError
from modeswitch.machine import Machine, MachineState
from modeswitch.paths import Paths
from modeswitch.seat import Seat

T = TypeVar("T")
_LOCK_WAIT = 60.0


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


def _with_seat(config: Config, paths: Paths, work: Callable[[Seat], Awaitable[T]], *, observing: bool = False) -> T:
    async def run() -> T:
        seat = await build_seat(config, paths, resident=False, tolerate_unreachable=observing)
        try:
            return await work(seat)
        finally:
            await seat.backends.close()

    return asyncio.run(run())


def switch_in_process(config: Config, paths: Paths, action: str) -> dict[str, Any]:
    async def work(seat: Seat) -> dict[str, Any]:
        machine = Machine(config.toggle, config.default_mode)
        observed = await seat.observe()
        current = seat.locate(observed)
        target = machine.resolve(action, MachineState(mode=current))
        seat.mode(target)
        result = await seat.switch(target, "cli (in-process)", current=current, state=observed)
        return {**result.as_dict(), "error_type": None if result.ok else "TransitionFailed"}

    with transition_lock(paths):
        return _with_seat(config, paths, work)


def status_in_process(config: Config, paths: Paths) -> dict[str, Any]:
    async def work(seat: Seat) -> dict[str, Any]:
        observed = await seat.observe()
        current = seat.locate(observed)
        return {"mode": current, "phase": "idle" if current else "unknown", "target": None,
                "pending": None, "error": None, "daemon": None, "config": str(config.path),
                "seat": asdict(observed), "pads": []}

    return _with_seat(config, paths, work, observing=True)


def plan_in_process(config: Config, paths: Paths, mode: str) -> dict[str, Any]:
    async def work(seat: Seat) -> dict[str, Any]:
        observed = await seat.observe()
        _, steps = await seat.plan(mode, current=seat.locate(observed), state=observed)
        return steps.as_dict()

    return _with_seat(config, paths, work)
