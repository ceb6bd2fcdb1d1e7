"""What the triggers need from the daemon, as Protocols so tests pass plain objects."""

from __future__ import annotations

from typing import Protocol


class Requester(Protocol):
    """Asks the daemon for a transition; must return at once (the daemon queues it)."""

    def request(self, action: str, source: str) -> None:
        """action is a mode name or "toggle"; source says who asked, for history and logs."""


class SeatView(Protocol):
    """The little the hotplug rules need to know about the seat right now."""

    def current_mode(self) -> str | None: ...

    def vm_running(self) -> bool: ...
