"""Which events become which notification; the hub's fan-out; the events CLI's lines."""

from __future__ import annotations

from typing import Any

import pytest

from modeswitch.cli.events import describe
from modeswitch.core.events import EventHub, EventKind, SeatEvent
from modeswitch.notices import Notice, Urgency, notice_for


@pytest.mark.parametrize(("kind", "data", "expected"), [
    (EventKind.FINISHED, {"result": "done", "target": "tv", "source": "cli"},
     Notice("Switched to tv", "The seat is in tv mode.", Urgency.LOW)),
    (EventKind.FINISHED, {"result": "done", "target": "tv", "source": "combo select+start"},
     Notice("Switched to tv", "The seat is in tv mode (combo select+start).", Urgency.LOW)),
    (EventKind.FINISHED, {"result": "rolled_back", "target": "desk", "error": "step usb.attach timed out",
                          "source": "cli"},
     Notice("Switch to desk failed", "step usb.attach timed out\nEverything was put back.", Urgency.CRITICAL)),
    (EventKind.FINISHED, {"result": "refused", "target": "tv", "error": "no sink matches", "source": "hotplug"},
     Notice("Switch to tv refused", "no sink matches\nNothing was changed (hotplug).", Urgency.CRITICAL)),
    (EventKind.FINISHED, {"result": "superseded", "target": "desk", "source": "cli"}, None),
    (EventKind.FINISHED, {"result": "cancelled", "target": "desk", "source": "cli"}, None),
    (EventKind.RELOAD, {"ok": False, "error": "tv.yaml:3:5: unknown key"},
     Notice("modeswitch: config change refused", "tv.yaml:3:5: unknown key\nThe last good config stays active.",
            Urgency.CRITICAL)),
    (EventKind.RELOAD, {"ok": True, "modes": ["desk", "tv"]}, None),
    (EventKind.REQUEST, {"action": "toggle", "target": "tv", "source": "cli"}, None),
    (EventKind.STATE, {"mode": "tv", "phase": "idle"}, None),
])
def test_notice_for(kind: EventKind, data: dict[str, Any], expected: Notice | None) -> None:
    assert notice_for(SeatEvent(kind, data, 0.0)) == expected


def test_hub_fans_out_in_order_survives_a_broken_listener_and_unsubscribes() -> None:
    hub = EventHub(clock=lambda: 12.5)
    seen: list[tuple[str, dict[str, Any]]] = []

    def broken(_event: SeatEvent) -> None:
        raise RuntimeError("a listener's bug")

    stop = hub.subscribe(lambda e: seen.append(("a", e.as_dict())))
    hub.subscribe(broken)
    hub.subscribe(lambda e: seen.append(("b", e.as_dict())))
    hub.publish(EventKind.STATE, mode="tv", phase="idle")
    assert seen == [("a", {"event": "state", "time": 12.5, "mode": "tv", "phase": "idle"}),
                    ("b", {"event": "state", "time": 12.5, "mode": "tv", "phase": "idle"})]
    stop()
    stop()  # twice is harmless
    hub.publish(EventKind.RELOAD, ok=True)
    assert [who for who, _ in seen] == ["a", "b", "b"] and hub.listeners == 2


@pytest.mark.parametrize(("event", "text"), [
    ({"event": "request", "target": "tv", "source": "combo select+start"}, "request   tv (from combo select+start)"),
    ({"event": "transition.started", "target": "tv", "previous": "desk", "source": "cli"},
     "switching desk -> tv (from cli)"),
    ({"event": "transition.finished", "result": "done", "target": "tv", "duration_ms": 83.4}, "done      tv in 83 ms"),
    ({"event": "transition.finished", "result": "rolled_back", "target": "tv", "error": "boom"},
     "rolled back tv: boom"),
    ({"event": "transition.finished", "result": "superseded", "target": "desk", "superseded_by": "tv"},
     "superseded desk by tv"),
    ({"event": "state", "mode": None, "phase": "switching", "pending": "tv"}, "state     unknown (switching, then tv)"),
    ({"event": "reload", "ok": True, "modes": ["desk", "tv"]}, "reloaded  desk, tv"),
    ({"event": "reload", "ok": False, "error": "x.yaml:1:1: bad"}, "reload refused: x.yaml:1:1: bad"),
    ({"event": "dropped", "count": 7}, "... 7 event(s) dropped (this reader fell behind)"),
])
def test_event_lines(event: dict[str, Any], text: str) -> None:
    assert describe({**event, "time": 0}).split(" ", 1)[1] == text
