"""What a CEC frame from the bus means for the seat, and which frames are only our own echo.

Pure: frames and times in, a TV event or a mode to request out; the reading is in
cec_reader.py. CEC 1.4 gives no "the TV was switched on" message, so the signs are read:
<Report Power Status> from the TV (CEC 2.0 TVs broadcast it on every change; 1.4 ones answer
when asked), <Request Active Source> from the TV (what a TV waking up asks the bus), <Standby>
(the TV, or any device putting the whole system to standby, broadcasts it), and where the TV's
input goes: <Active Source> from another device, <Routing Change> and <Set Stream Path> from
the TV naming this PC's physical address or another one.

The loop to avoid: modeswitch sends <Image View On> on its way to TV mode, the waking TV
announces itself (and often its last input first), and that must not switch the seat back;
`modeswitch status` asks the TV's power and the TV's answer must not look like news. So every
frame modeswitch sends is noted (`own`), and for a while afterwards the events it explains
(ECHOES) are taken as its echo, not as the TV's doing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from modeswitch.model import CecRule, TvEvent
from modeswitch.parts.tv import messages as cec
from modeswitch.parts.tv.messages import Frame, Opcode, PowerStatus
from modeswitch.triggers.base import Requester, SeatView

log = logging.getLogger(__name__)

# Our frame → the events it can cause, and for how long (seconds). A TV answers within 1 s
# (CEC 1.4 §9.2); one coming out of standby takes several seconds to boot and say so.
ECHOES: dict[int, tuple[frozenset[TvEvent], float]] = {
    Opcode.IMAGE_VIEW_ON: (frozenset({TvEvent.TV_ON, TvEvent.INPUT_LEFT}), 15.0),
    Opcode.TEXT_VIEW_ON: (frozenset({TvEvent.TV_ON, TvEvent.INPUT_LEFT}), 15.0),
    Opcode.STANDBY: (frozenset({TvEvent.TV_STANDBY, TvEvent.INPUT_LEFT}), 15.0),
    Opcode.ACTIVE_SOURCE: (frozenset({TvEvent.INPUT_SELECTED}), 5.0),
    Opcode.INACTIVE_SOURCE: (frozenset({TvEvent.INPUT_LEFT}), 5.0),
    Opcode.GIVE_DEVICE_POWER_STATUS: (frozenset({TvEvent.TV_ON, TvEvent.TV_STANDBY}), 2.0),
    Opcode.REQUEST_ACTIVE_SOURCE: (frozenset({TvEvent.INPUT_SELECTED, TvEvent.INPUT_LEFT}), 2.0),
}
# Which received frames an answer to our question can be: only those are taken as its echo.
# <Report Power Status> answers us directly; broadcast (CEC 2.0), it is a change, so news.
_ANSWERS: dict[int, tuple[int, bool]] = {Opcode.GIVE_DEVICE_POWER_STATUS: (Opcode.REPORT_POWER_STATUS, True),
                                         Opcode.REQUEST_ACTIVE_SOURCE: (Opcode.ACTIVE_SOURCE, False)}
# A frame of ours ends the echo of the one it undoes: after our <Image View On> the TV going to
# standby is not the echo of the <Standby> we sent before it.
_UNDOES: dict[int, set[int]] = {Opcode.IMAGE_VIEW_ON: {Opcode.STANDBY}, Opcode.TEXT_VIEW_ON: {Opcode.STANDBY},
                                 Opcode.STANDBY: {Opcode.IMAGE_VIEW_ON, Opcode.TEXT_VIEW_ON},
                                 Opcode.ACTIVE_SOURCE: {Opcode.INACTIVE_SOURCE},
                                 Opcode.INACTIVE_SOURCE: {Opcode.ACTIVE_SOURCE}}


def classify(frame: Frame, ours: int) -> TvEvent | None:
    """The TV event a received frame tells of, given this PC's physical address `ours`."""
    if frame.opcode == Opcode.REPORT_POWER_STATUS and frame.initiator == cec.TV:
        status = cec.power_status(frame)
        if status in (PowerStatus.ON, PowerStatus.TO_ON):
            return TvEvent.TV_ON
        return TvEvent.TV_STANDBY if status is not None else None
    if frame.opcode == Opcode.REQUEST_ACTIVE_SOURCE and frame.initiator == cec.TV:
        return TvEvent.TV_ON
    if frame.opcode == Opcode.STANDBY and (frame.initiator == cec.TV or frame.destination == cec.BROADCAST):
        return TvEvent.TV_STANDBY
    address = _shown(frame)
    if address is None:
        return None
    return TvEvent.INPUT_SELECTED if address == ours else TvEvent.INPUT_LEFT


def _shown(frame: Frame) -> int | None:
    """The physical address the TV shows after this frame, when it says so."""
    if frame.opcode == Opcode.ACTIVE_SOURCE:
        return cec.reported_source(frame)
    if frame.initiator != cec.TV:
        return None
    routed = cec.routing_change(frame)
    return routed[1] if routed is not None else cec.stream_path(frame)


@dataclass(frozen=True)
class _Sent:
    opcode: int
    at: float


class EchoFilter:
    """Remembers what we sent, to tell its consequences from the TV's own doing."""

    def __init__(self) -> None:
        self._sent: list[_Sent] = []

    def own(self, data: bytes, now: float) -> None:
        frame = cec.decode(data)
        if frame.opcode is not None and int(frame.opcode) in ECHOES:
            undone = _UNDOES.get(int(frame.opcode), set())
            self._sent = [s for s in self._sent if now - s.at < ECHOES[s.opcode][1] and s.opcode not in undone]
            self._sent.append(_Sent(int(frame.opcode), now))

    def explains(self, frame: Frame, event: TvEvent, now: float) -> Frame | None:
        """The frame of ours that `event` (seen in `frame`) is the echo of, if any."""
        for sent in reversed(self._sent):
            events, window = ECHOES[sent.opcode]
            if event in events and 0 <= now - sent.at < window and _answers(sent.opcode, frame):
                return Frame(0, 0, Opcode(sent.opcode))
        return None


def _answers(question: int, frame: Frame) -> bool:
    """Whether `frame` can be the answer to our `question`; True for frames that ask nothing."""
    if question not in _ANSWERS:
        return True
    opcode, directed = _ANSWERS[question]
    return frame.opcode == opcode and (not directed or frame.destination != cec.BROADCAST)


class CecEventRules:
    """Frames in, requests out: the first rule for the event decides, quiet for its debounce
    after it matched (a TV sends <Routing Change> and <Set Stream Path> for one press)."""

    def __init__(self, rules: Sequence[CecRule], requester: Requester, seat: SeatView) -> None:
        self._rules = tuple(rules)
        self._requester, self._seat = requester, seat
        self.echoes = EchoFilter()
        self._last: dict[int, float] = {}

    def received(self, data: bytes, ours: int, me: int, now: float) -> str | None:
        """A frame read from the adapter (`me` our logical address); returns the mode requested."""
        frame = cec.decode(data)
        if frame.initiator == me:  # our own frame, as monitor mode reports it
            self.echoes.own(data, now)
            return None
        event = classify(frame, ours)
        if event is None:
            return None
        cause = self.echoes.explains(frame, event, now)
        if cause is not None:
            log.debug("%s after our %s: an echo, not the TV's doing", event.value, cec.describe(cause).split(": ")[1])
            return None
        return self._fire(event, now)

    def _fire(self, event: TvEvent, now: float) -> str | None:
        for index, rule in enumerate(self._rules):
            if rule.on is not event:
                continue
            last, self._last[index] = self._last.get(index), now
            if last is not None and now - last < rule.debounce:
                return None
            if self._seat.current_mode() == rule.mode:
                return None
            self._requester.request(rule.mode, f"cec {event.value}")
            return rule.mode
        return None
