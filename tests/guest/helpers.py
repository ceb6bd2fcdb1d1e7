"""One asyncio loop for the guest tests' process (libvirt binds its event implementation to
the first loop for good), and the one embedded root it opens."""

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
    root = Path(tempfile.mkdtemp(prefix="msw-guest-"))
    atexit.register(shutil.rmtree, root, True)
    return root
