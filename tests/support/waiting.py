"""The one way tests wait for something the code reaches by itself. The limit only stops a
hung test (nothing here measures time: speed lives in bench/)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

GUARD = 20.0  # seconds before a wait is declared hung on a loaded 2-core machine
STEP = 0.02


def wait_for(check: Callable[[], bool], what: str, limit: float = GUARD) -> None:
    """Poll from a plain test (the system under test runs in other processes)."""
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(STEP)


async def until(check: Callable[[], bool | Awaitable[bool]], what: str, limit: float = GUARD) -> None:
    """Poll from a coroutine, letting the loop run the code under test in between; `check`
    may be a plain or an async predicate."""
    deadline = time.monotonic() + limit
    while True:
        result = check()
        if await result if inspect.isawaitable(result) else result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(STEP)
