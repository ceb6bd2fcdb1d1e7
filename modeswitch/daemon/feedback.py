"""Where seat events go from the daemon: desktop notifications and `events` subscribers.

Both are listeners on the coordinator's EventHub. A notification is sent from a task so the
coordinator never waits on D-Bus; each subscriber gets its own bounded queue, and one that
stops reading loses events (with a marker saying how many) instead of growing the daemon.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from modeswitch.core.events import EventHub, SeatEvent
from modeswitch.notices import Notifier, notice_for

log = logging.getLogger(__name__)

QUEUE_LIMIT = 256  # a status bar reads every event at once; far behind means it is stuck


class Feedback:
    def __init__(self, events: EventHub, notifier: Notifier | None, enabled: Callable[[], bool]) -> None:
        self.events, self.notifier, self._enabled = events, notifier, enabled
        self._sending: set[asyncio.Task[None]] = set()
        self._unsubscribe = events.subscribe(self._notify)

    def _notify(self, event: SeatEvent) -> None:
        notice = notice_for(event)
        if notice is None or self.notifier is None or not self._enabled():
            return
        task = asyncio.get_running_loop().create_task(self.notifier.notify(notice))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def stream(self, first: Mapping[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """`first` (the state now), then every event as it happens, until the reader goes."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        dropped = 0

        def offer(event: SeatEvent) -> None:
            nonlocal dropped
            if queue.qsize() >= QUEUE_LIMIT:
                dropped += 1
                return
            if dropped:
                queue.put_nowait({"event": "dropped", "count": dropped})
                dropped = 0
            queue.put_nowait(event.as_dict())

        unsubscribe = self.events.subscribe(offer)
        try:
            yield dict(first)
            while True:
                yield await queue.get()
        finally:
            unsubscribe()

    async def close(self) -> None:
        """Let notices already on their way arrive (bounded by the notifier's own timeout)."""
        self._unsubscribe()
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
        if self.notifier is not None:
            await self.notifier.close()
