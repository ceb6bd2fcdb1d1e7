"""One line for each long first step (building the guest image, saving the booted guest): what
is being done, then how long it took. A newcomer who waits 15 s should know why, once."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


def _stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


class Progress:
    """`with progress.step("building X"):` writes "building X … done in 12.3 s" as one line:
    the first half when it begins, the time when it ends. `write` gets the text in pieces."""

    def __init__(self, write: Callable[[str], None] = _stdout) -> None:
        self._write = write

    @contextmanager
    def step(self, what: str) -> Iterator[None]:
        self._write(f"{what} … ")
        began = time.monotonic()
        try:
            yield
        except BaseException:
            self._write(f"failed after {time.monotonic() - began:.1f} s\n")
            raise
        self._write(f"done in {time.monotonic() - began:.1f} s\n")

    def line(self, text: str) -> None:
        self._write(text + "\n")


def silent() -> Progress:
    return Progress(lambda _text: None)
