"""One asyncio loop per test process, and one embedded libvirt root.

libvirt accepts one event-loop implementation per process for good, and binds its embedded
driver to the first root a process opens, so every test that touches libvirt runs its
coroutines on this loop (`run`), never through asyncio.run(), and every embedded VM of the
process lives in `shared_root()` (removed when the process ends).
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import shutil
import tempfile
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@functools.cache
def shared_loop() -> asyncio.AbstractEventLoop:
    return asyncio.new_event_loop()


def run(coro: Coroutine[Any, Any, T]) -> T:
    return shared_loop().run_until_complete(coro)


@functools.cache
def shared_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="msw-embed-"))
    atexit.register(shutil.rmtree, root, True)
    return root
