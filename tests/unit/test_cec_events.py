"""CEC frames from the bus → TV events → requests, against the bytes of CEC 1.4 (header =
initiator << 4 | destination; 0 is the TV, 4 Playback Device 1 = us at 1.0.0.0, 8 Playback
Device 2 = a console at 2.0.0.0, F broadcast), with the loops that must not happen."""

from __future__ import annotations

import pytest

from modeswitch.model import CecRule, TvEvent
from modeswitch.parts.tv import messages as cec
from modeswitch.triggers.cec_events import CecEventRules, classify

US, CONSOLE = 0x1000, 0x2000
ON, STANDBY, SELECTED, LEFT = TvEvent.TV_ON, TvEvent.TV_STANDBY, TvEvent.INPUT_SELECTED, TvEvent.INPUT_LEFT


def frame(wire: str) -> cec.Frame:
    return cec.decode(bytes.fromhex(wire.replace(":", "")))


@pytest.mark.parametrize(("wire", "event"), [
    ("0f:90:00", ON),  # <Report Power Status> on, broadcast (CEC 2.0 TVs on every change)
    ("04:90:02", ON),  # ... "in transition standby to on", to us
    ("0f:90:01", STANDBY),
    ("0f:90:03", STANDBY),  # "in transition on to standby"
    ("8f:90:00", None),  # the console's power is not the TV's
    ("0f:90:07", None),  # reserved value
    ("0f:85", ON),  # <Request Active Source> from the TV: what a waking TV asks
    ("8f:85", None),  # ... from another device: not the TV waking
    ("0f:36", STANDBY),  # the TV goes to standby and tells all
    ("04:36", STANDBY),  # ... or tells us
    ("8f:36", STANDBY),  # a system standby broadcast by another device
    ("84:36", None),  # the console asking only us to sleep: not the TV
    ("8f:82:20:00", LEFT),  # <Active Source> from the console: the TV shows it now
    ("0f:82:00:00", LEFT),  # the TV's own tuner
    ("0f:80:20:00:10:00", SELECTED),  # <Routing Change> 2.0.0.0 → 1.0.0.0 (us)
    ("0f:80:10:00:30:00", LEFT),  # ... 1.0.0.0 → 3.0.0.0
    ("0f:86:10:00", SELECTED),  # <Set Stream Path> to us
    ("0f:86:20:00", LEFT),
    ("8f:86:10:00", None),  # only the TV routes the stream
    ("0f:80:20:00", None),  # malformed: one address
    ("04:04", None),  # <Image View On> is a source's, never the TV's
    ("0f:84:00:00:00", None),  # <Report Physical Address> of the TV
    ("04:00:8f:00", None),  # <Feature Abort>
])
def test_frames_read_as_events(wire: str, event: TvEvent | None) -> None:
    assert classify(frame(wire), US) is event


class Recorder:
    """Requester and SeatView in one: what was requested, and which mode the seat is in."""

    def __init__(self, mode: str | None = None) -> None:
        self.mode, self.requests = mode, []

    def request(self, action: str, source: str) -> None:
        self.requests.append((action, source))
        self.mode = action

    def current_mode(self) -> str | None:
        return self.mode

    def vm_running(self) -> bool:
        return True


RULES = (CecRule(ON, "tv"), CecRule(STANDBY, "desk"), CecRule(SELECTED, "tv"), CecRule(LEFT, "desk", 0.0))


def run(events: list[tuple[float, str, str]], mode: str = "desk") -> list[tuple[str, str]]:
    """(time, "rx" or "tx", frame): rx is read from the bus, tx is one we are about to send."""
    seat = Recorder(mode)
    rules = CecEventRules(RULES, seat, seat)
    for now, way, wire in events:
        data = bytes.fromhex(wire.replace(":", ""))
        if way == "tx":
            rules.echoes.own(data, now)
        else:
            rules.received(data, US, 4, now)
    return seat.requests


@pytest.mark.parametrize(("events", "mode", "requests"), [
    # the living-room flow: TV on → tv; TV off → desk; the PC's input picked → tv
    ([(0.0, "rx", "0f:90:00")], "desk", [("tv", "cec tv-on")]),
    ([(0.0, "rx", "0f:36")], "tv", [("desk", "cec tv-standby")]),
    ([(0.0, "rx", "0f:80:20:00:10:00"), (0.1, "rx", "0f:86:10:00")], "desk", [("tv", "cec input-selected")]),
    ([(0.0, "rx", "8f:82:20:00")], "tv", [("desk", "cec input-left")]),
    # in that mode already: nothing to ask
    ([(0.0, "rx", "0f:90:00")], "tv", []),
    # debounce: a TV that reports "to on", then "on" asks once
    ([(0.0, "rx", "0f:90:02"), (0.5, "rx", "0f:90:00")], "desk", [("tv", "cec tv-on")]),
    # loop 1: our switch to tv wakes the TV, which reports on and first goes back to the
    # console's input before our <Active Source> lands: neither is news
    ([(0.0, "tx", "40:04"), (0.0, "tx", "4f:82:10:00"), (1.5, "rx", "0f:90:02"), (4.0, "rx", "0f:90:00"),
      (4.1, "rx", "0f:80:00:00:20:00"), (4.2, "rx", "0f:80:20:00:10:00")], "tv", []),
    # loop 2: our switch to desk sends <Standby>; the TV's standby report is its echo
    ([(0.0, "tx", "40:36"), (0.8, "rx", "0f:90:01"), (0.9, "rx", "0f:36")], "desk", []),
    # loop 3: `modeswitch status` asks the TV's power and the active source: answers, not events
    ([(0.0, "tx", "40:8f"), (0.1, "rx", "04:90:00"), (0.2, "tx", "4f:85"), (0.3, "rx", "8f:82:20:00")], "desk", []),
    # ... but the answer to a question explains only itself: a Standby right after is the TV's
    ([(0.0, "tx", "40:8f"), (0.1, "rx", "04:90:00"), (0.5, "rx", "0f:36")], "tv", [("desk", "cec tv-standby")]),
    # ... and a CEC 2.0 TV's broadcast report right after our question is a change, so news
    ([(0.0, "tx", "40:8f"), (0.1, "rx", "04:90:00"), (0.3, "rx", "0f:90:01")], "tv", [("desk", "cec tv-standby")]),
    # our Standby, then our Image View On: the TV switched off by hand after that is news
    ([(0.0, "tx", "40:36"), (2.0, "tx", "40:04"), (3.0, "rx", "0f:90:00"), (4.0, "rx", "0f:36")], "tv",
     [("desk", "cec tv-standby")]),
    # and the other way round: our Image View On, then our Standby; the TV on by hand is news
    ([(0.0, "tx", "40:04"), (2.0, "tx", "40:36"), (3.0, "rx", "0f:90:01"), (5.0, "rx", "0f:90:00")], "desk",
     [("tv", "cec tv-on")]),
    # loop 4: our <Inactive Source> on leaving tv mode; the TV turns to another input
    ([(0.0, "tx", "40:9d:10:00"), (1.0, "rx", "0f:80:10:00:20:00")], "tv", []),
    # echoes wear off: long after our <Image View On>, the TV switched on by hand is news
    ([(0.0, "tx", "40:04"), (60.0, "rx", "0f:36"), (90.0, "rx", "0f:90:00")], "tv",
     [("desk", "cec tv-standby"), ("tv", "cec tv-on")]),
    # our own frames as monitor mode reports them (initiator 4) count as sent
    ([(0.0, "rx", "40:36"), (0.5, "rx", "0f:90:01")], "tv", []),
    # the TV's picked input while our <Image View On> is in flight is ours being shown: not left
    ([(0.0, "tx", "40:04"), (0.5, "rx", "0f:86:10:00")], "desk", [("tv", "cec input-selected")]),
])
def test_requests_and_the_loops_avoided(events: list[tuple[float, str, str]], mode: str,
                                        requests: list[tuple[str, str]]) -> None:
    assert run(events, mode) == requests


def test_a_malformed_frame_is_refused_by_the_decoder() -> None:
    seat = Recorder()
    with pytest.raises(ValueError, match="a CEC frame has 1 to 16 bytes"):
        CecEventRules(RULES, seat, seat).received(b"", US, 4, 0.0)
