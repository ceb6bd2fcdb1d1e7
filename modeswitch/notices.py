"""Which seat events become a desktop notification, and what it says. Pure.

The user is on the couch with a pad, not at a terminal: a switch that finished or failed, and
a config edit the daemon refused, are worth a popup. Requests and intermediate states are not
(status bars get those from `modeswitch events`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

from modeswitch.core.events import EventKind, SeatEvent


class Urgency(IntEnum):
    """The freedesktop Notifications spec's urgency levels (hint "urgency", a byte)."""

    LOW = 0
    NORMAL = 1
    CRITICAL = 2


@dataclass(frozen=True)
class Notice:
    summary: str
    body: str
    urgency: Urgency = Urgency.NORMAL


class Notifier(Protocol):
    """Shows a Notice on the user's desktop; must not raise (a missing server is logged)."""

    async def notify(self, notice: Notice) -> None: ...

    async def close(self) -> None: ...


def notice_for(event: SeatEvent) -> Notice | None:
    data = event.data
    if event.kind is EventKind.FINISHED:
        return _finished(data.get("result"), data.get("target"), data.get("error"), str(data.get("source", "")))
    if event.kind is EventKind.RELOAD and not data.get("ok"):
        return Notice("modeswitch: config change refused", f"{data.get('error')}\nThe last good config stays active.",
                      Urgency.CRITICAL)
    return None


def _finished(result: object, target: object, error: object, source: str) -> Notice | None:
    via = f" ({source})" if source and source != "cli" else ""
    if result == "done":
        return Notice(f"Switched to {target}", f"The seat is in {target} mode{via}.", Urgency.LOW)
    if result == "rolled_back":
        return Notice(f"Switch to {target} failed", f"{error}\nEverything was put back{via}.", Urgency.CRITICAL)
    if result == "refused":
        return Notice(f"Switch to {target} refused", f"{error}\nNothing was changed{via}.", Urgency.CRITICAL)
    return None  # superseded or cancelled: another switch or the daemon's stop speaks for it
