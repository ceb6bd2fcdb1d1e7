"""A thread that calls one function every few milliseconds, for the usbmon reader's drains.

The daemon's asyncio loop is the wrong place for a 250 Hz timer: one turn of the loop costs
several times what the drain itself does (its timer heap, its selector, its handles), and the
reader would pay it 250 times a second for as long as a pad is in the VM. A plain thread that
sleeps in poll(2) between calls costs one wakeup per drain and nothing else; the loop is
only woken when a drain found something for it (a button change). The cadence is kept against
the clock, so a slow drain does not stretch the period; a drain later than a whole period
starts the count again instead of firing a burst to catch up.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Drainer:
    """Calls `drain` every `interval` seconds on a daemon thread, between start() and stop()."""

    def __init__(self, interval: float, drain: Callable[[], None], name: str = "usbmon-drain") -> None:
        self.interval, self._drain, self._name = interval, drain, name
        self._thread: threading.Thread | None = None
        self._wake: int | None = None  # the write end of the running thread's pipe: stop

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        if self._thread is not None:
            return
        # Each thread sleeps in poll(2) on a pipe of its own, a single system call per wait
        # (an Event's wait costs twice the CPU of the wakeup itself here); a byte written to
        # the pipe ends the sleep at once. stop() closes the write end, the thread its own.
        read_end, self._wake = os.pipe2(os.O_CLOEXEC)
        self._thread = threading.Thread(target=self._run, args=(read_end,), name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> threading.Thread | None:
        """Asks the thread to end, and hands it back for `wait` (outside any lock a drain
        takes); None when none ran."""
        thread, self._thread, wake, self._wake = self._thread, None, self._wake, None
        if wake is not None:
            try:
                os.write(wake, b"x")
            except BrokenPipeError:
                pass  # the thread is gone already
            os.close(wake)
        return thread

    @staticmethod
    def wait(thread: threading.Thread | None) -> None:
        """Until that thread ended: at most one drain is still running when this is called.
        A drain that closed the last node stops its own thread, which cannot wait for itself."""
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    def _run(self, read_end: int) -> None:
        poller = select.poll()
        poller.register(read_end, select.POLLIN)
        due = time.monotonic() + self.interval
        try:
            while not poller.poll(max(0.0, due - time.monotonic()) * 1000):
                try:
                    self._drain()
                except Exception:  # a drain that raises must not end the reading silently for good
                    log.exception("usbmon drain failed")
                now = time.monotonic()
                due += self.interval
                if due < now:
                    due = now + self.interval
        finally:
            os.close(read_end)
