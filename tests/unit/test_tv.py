"""The `tv` part: planning tables, and the CEC backend driving a TV that answers as the CEC 1.4
specification says (the adapter edge replaced by a stand-in bus with a TV on it, bytes in and
out: modeswitch.sandbox.cec_tv)."""

from __future__ import annotations

import asyncio

import pytest

from modeswitch.errors import BackendError, PlanError
from modeswitch.model import StepKind
from modeswitch.parts.tv import messages as cec
from modeswitch.parts.tv.backend import CecBackend
from modeswitch.parts.tv.plan import plan_tv
from modeswitch.parts.tv.spec import TvObservation, TvPower, TvSpec
from modeswitch.sandbox.cec_tv import StandInTv

DEV = "/dev/cec0"
ON, IN = TvSpec(DEV, TvPower.ON), TvSpec(DEV, TvPower.ON, input=True)


def seen(power: str | None, active: int | None = None, address: int | None = 0x1000) -> TvObservation:
    return TvObservation(DEV, power, address, active)


@pytest.mark.parametrize(("wanted", "observed", "args", "undo"), [
    (ON, seen("on"), None, None),  # already on: nothing
    (ON, seen("to_on"), None, None),  # waking up already
    (ON, seen("standby"), {"power": "on"}, {"power": "standby"}),  # woken here: back to standby on undo
    (ON, seen(None), {"power": "on"}, None),  # TV did not say: switch on, and do not guess an undo
    (IN, seen("on", 0x2000), {"source": 0x1000}, {"release": 0x1000}),
    (IN, seen("standby", None), {"power": "on", "source": 0x1000}, {"power": "standby", "release": 0x1000}),
    (IN, seen("on", 0x1000), None, None),  # already showing us
    (TvSpec(DEV, input=True, physical_address=0x2100), seen("on", 0x1000, None), {"source": 0x2100},
     {"release": 0x2100}),
    (TvSpec(DEV, TvPower.STANDBY), seen("on"), {"power": "standby"}, {"power": "on"}),
    (TvSpec(DEV, TvPower.STANDBY), seen("standby"), None, None),
    (TvSpec(DEV, TvPower.STANDBY), seen(None), {"power": "standby"}, None),
])
def test_plan_tv(wanted: TvSpec, observed: TvObservation, args: dict[str, object] | None,
                 undo: dict[str, object] | None) -> None:
    steps = plan_tv(wanted, observed)
    if args is None:
        assert steps == []
        return
    [step] = steps
    assert step.kind is StepKind.TV and dict(step.args) == {"device": DEV, **args}
    assert (dict(step.undo.args) if step.undo else None) == ({"device": DEV, **undo} if undo else None)


@pytest.mark.parametrize(("observed", "message"), [
    (TvObservation(DEV, error="no permission to open /dev/cec0 (add your user …)"), "^no permission to open"),
    (None, "the TV on /dev/cec0 is not set up"),
    (seen("on", None, None), r"does not know which HDMI port it is on \(set tv: physical_address:"),
])
def test_plan_tv_refuses_before_anything_runs(observed: TvObservation | None, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        plan_tv(IN, observed)


def test_tv_mode_then_rollback_on_a_tv_that_answers() -> None:
    async def scenario() -> None:
        bus = StandInTv()
        backend = CecBackend(DEV, opener=bus.open)
        before = await backend.observe()
        assert before == TvObservation(DEV, "standby", 0x1000, 0x2000)
        [step] = plan_tv(IN, before)
        await backend.apply(step)
        assert bus.wire[-2:] == ["40:04", "4f:82:10:00"]  # Image View On, then Active Source 1.0.0.0
        after = await backend.observe()
        assert (after.power, after.active_source) == ("on", 0x1000)
        assert plan_tv(IN, after) == []
        assert step.undo is not None
        await backend.apply(step.undo)
        assert bus.wire[-2:] == ["40:9d:10:00", "40:36"]  # Inactive Source, Standby
        assert (await backend.observe()).power == "standby"
        assert bus.opened == 0  # the adapter is closed after each use

    asyncio.run(scenario())


def test_a_tv_that_does_not_answer() -> None:
    async def scenario() -> None:
        bus = StandInTv(present=False)
        backend = CecBackend(DEV, opener=bus.open)
        quiet = await backend.observe()
        assert (quiet.power, quiet.active_source, quiet.error) == (None, None, None)
        [step] = plan_tv(ON, quiet)
        with pytest.raises(BackendError, match=r"^the TV did not acknowledge IMAGE_VIEW_ON \(0x04\) \(is it connected"):
            await backend.apply(step)

    asyncio.run(scenario())


def test_a_step_that_fails_halfway_undoes_its_first_half() -> None:
    """The TV wakes but refuses <Active Source>: it goes back to standby before the error."""
    async def scenario() -> None:
        bus = StandInTv(ignores=cec.Opcode.ACTIVE_SOURCE)
        backend = CecBackend(DEV, opener=bus.open)
        [step] = plan_tv(IN, await backend.observe())
        with pytest.raises(BackendError, match=r"^the TV did not acknowledge ACTIVE_SOURCE \(0x82\)"):
            await backend.apply(step)
        assert bus.wire[-4:] == ["40:04", "4f:82:10:00", "40:9d:10:00", "40:36"]
        assert bus.power == cec.PowerStatus.STANDBY

    asyncio.run(scenario())
