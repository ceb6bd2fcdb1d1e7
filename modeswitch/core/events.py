"""What happens to the seat, as a stream: requests (and which trigger made them), transitions
starting and finishing, the state after each change, config reloads.

The coordinator and the daemon publish; `modeswitch events`, desktop notifications and
anything else subscribe. Publishing never fails and never blocks: a listener that raises is
logged and kept, so a broken status bar cannot break a switch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

log = logging.getLogger(__name__)


class EventKind(StrEnum):
    REQUEST = "request"  # someone asked for a mode: CLI, combo, hotplug, VM event, recovery
    STARTED = "transition.started"
    FINISHED = "transition.finished"  # result: done, rolled_back, refused, superseded, cancelled
    STATE = "state"  # mode and phase after a change
    RELOAD = "reload"  # ok: true with the modes, or ok: false with the reason it was refused


@dataclass(frozen=True)
class SeatEvent:
    kind: EventKind
    data: Mapping[str, Any] = field(default_factory=dict)
    at: float = 0.0  # unix time

    def as_dict(self) -> dict[str, Any]:
        return {"event": self.kind.value, "time": round(self.at, 3), **self.data}


Listener = Callable[[SeatEvent], None]


class EventHub:
    """Fan-out of SeatEvents to listeners, in the order they subscribed."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._listeners: list[Listener] = []
        self._clock = clock

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Returns the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def publish(self, kind: EventKind, **data: Any) -> SeatEvent:
        event = SeatEvent(kind, data, self._clock())
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a listener's bug must not reach the coordinator
                log.exception("event listener failed on %s", kind.value)
        return event

    @property
    def listeners(self) -> int:
        return len(self._listeners)
