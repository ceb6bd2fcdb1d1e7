"""CEC triggers on the stand-in adapter the tv part uses (modeswitch.sandbox.cec_tv): the
reader on a real event loop watching the listener's file, the tv backend sending through the
same stand-in TV, and the TV answering as CEC 1.4 / 2.0 TVs do."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pytest

from modeswitch.model import CecRule, Step, StepKind, TvEvent
from modeswitch.parts.tv.backend import CecBackend
from modeswitch.sandbox.cec_tv import StandInListener, StandInTv
from modeswitch.triggers.cec_reader import CecTriggers

US, CONSOLE = 0x1000, 0x2000
RULES = (CecRule(TvEvent.TV_ON, "tv"), CecRule(TvEvent.TV_STANDBY, "desk"),
         CecRule(TvEvent.INPUT_SELECTED, "tv"), CecRule(TvEvent.INPUT_LEFT, "desk"))


class Seat:
    def __init__(self, mode: str) -> None:
        self.mode, self.requests = mode, []

    def request(self, action: str, source: str) -> None:
        self.requests.append((action, source))
        self.mode = action

    def current_mode(self) -> str:
        return self.mode

    def vm_running(self) -> bool:
        return True


class CountingTv(StandInTv):
    """Counts the reader's reads, to see that an idle bus wakes nothing."""

    reads = 0

    def listen(self, path: str) -> StandInListener:
        listener = super().listen(path)
        frames = listener.frames

        def counted() -> list[bytes]:
            CountingTv.reads += 1
            return frames()

        listener.frames = counted  # type: ignore[method-assign]
        return listener


def scenario(tv: StandInTv, mode: str, act: Callable[[CecBackend], Awaitable[None]],
             rules: tuple[CecRule, ...] = RULES) -> tuple[Seat, CecTriggers]:
    seat = Seat(mode)

    async def run() -> CecTriggers:
        triggers = CecTriggers(rules, seat, seat, opener=tv.listen)
        backend = CecBackend("/dev/cec0", opener=tv.open)
        backend.on_send.append(triggers.note_sent)
        triggers.start(asyncio.get_running_loop())
        try:
            await act(backend)
            await asyncio.sleep(0.05)  # the loop reads what the TV said
        finally:
            triggers.stop()
        return triggers

    return seat, asyncio.run(run())


async def nothing(_backend: CecBackend) -> None:
    return None


def test_the_tv_switched_on_with_its_remote_moves_the_seat_to_tv() -> None:
    tv = StandInTv(address=US, source=None)

    async def press(_backend: CecBackend) -> None:
        tv.remote_power(True)

    seat, _ = scenario(tv, "desk", press)
    assert seat.requests == [("tv", "cec tv-on")]


def test_a_cec_1_4_tv_waking_asks_for_the_active_source_and_that_counts() -> None:
    tv = StandInTv(address=US, source=None, cec_2_0=False)

    async def press(_backend: CecBackend) -> None:
        tv.remote_power(True)

    assert scenario(tv, "desk", press)[0].requests == [("tv", "cec tv-on")]


def test_standby_and_inputs_chosen_with_the_remote() -> None:
    tv = StandInTv(power=0, address=US, source=US)

    async def press(_backend: CecBackend) -> None:
        tv.remote_input(CONSOLE)  # Routing Change + Set Stream Path: one request
        await asyncio.sleep(0.05)
        tv.remote_power(False)  # standby: already leaving for desk, nothing more

    seat, _ = scenario(tv, "tv", press)
    assert seat.requests == [("desk", "cec input-left")]

    other = StandInTv(power=0, address=US, source=CONSOLE)

    async def back(_backend: CecBackend) -> None:
        other.remote_input(US)

    seat, _ = scenario(other, "desk", back)
    assert seat.requests == [("tv", "cec input-selected")]


def test_our_own_switches_and_questions_do_not_switch_back() -> None:
    """To tv: Image View On wakes the TV, which reports on and goes back to the console's
    input before our Active Source takes it; status asks power and source; to desk: Standby,
    and the TV reports standby. Every one of those frames reaches the reader, none is news."""
    tv = StandInTv(address=US, source=CONSOLE, wakes_to=CONSOLE)
    to_tv = Step.make(StepKind.TV, "tv", "tv on", {"power": "on", "source": US})
    to_desk = Step.make(StepKind.TV, "tv", "tv off", {"power": "standby"})
    heard: list[bytes] = []

    async def switches(backend: CecBackend) -> None:
        listener = tv.listen("/dev/cec0")  # a second listener: what the bus carried
        await backend.apply(to_tv)
        seen = await backend.observe()
        assert (seen.power, seen.active_source) == ("on", US)
        await backend.apply(to_desk)
        heard.extend(listener.frames())
        listener.close()

    seat, _ = scenario(tv, "desk", switches, rules=RULES)
    assert [f.hex(":") for f in heard] == [
        "0f:90:00", "0f:80:20:00:20:00", "04:90:00", "8f:82:10:00", "0f:90:01"]
    assert seat.requests == []


def test_the_adapter_is_read_only_when_the_bus_speaks() -> None:
    CountingTv.reads = 0
    tv = CountingTv(address=US)

    async def idle(_backend: CecBackend) -> None:
        await asyncio.sleep(0.2)

    scenario(tv, "desk", idle)
    assert CountingTv.reads == 0 and tv.listeners == []  # nothing read while idle, closed after

    async def once(_backend: CecBackend) -> None:
        tv.remote_power(True)
        await asyncio.sleep(0.2)

    scenario(tv, "desk", once)
    assert CountingTv.reads == 1


def test_no_adapter_or_not_an_adapter_leaves_the_cec_triggers_off(caplog: pytest.LogCaptureFixture) -> None:
    """The kernel listener on a missing node and on a node that is not CEC (/dev/null: ENOTTY)."""
    seat = Seat("desk")
    rules = (CecRule(TvEvent.TV_ON, "tv", device="/dev/nonexistent-cec9"),
             CecRule(TvEvent.TV_ON, "tv", device="/dev/null"))
    triggers = CecTriggers(rules, seat, seat)

    async def run() -> list[str]:
        triggers.start(asyncio.get_running_loop())
        return triggers.reading

    with caplog.at_level(logging.ERROR):
        assert asyncio.run(run()) == []
    assert [r.getMessage() for r in caplog.records] == [
        "CEC triggers on /dev/nonexistent-cec9 are off: no CEC adapter at /dev/nonexistent-cec9 (ls /dev/cec*; "
        "a Pulse-Eight adapter needs `inputattach --pulse8-cec /dev/ttyACM0`)",
        "CEC triggers on /dev/null are off: /dev/null is not a CEC device (it cannot read its logical addresses) "
        "(use a /dev/cecN path)"]
