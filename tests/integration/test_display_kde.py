"""The KDE Plasma display backend against a real KWin on its virtual backend, checked with a
separate `kscreen-doctor -j`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from support.compositors import HeadlessKwin

from modeswitch.errors import BackendError, PlanError
from modeswitch.model import Step, StepKind
from modeswitch.parts.display.kde import KscreenBackend
from modeswitch.parts.display.plan import plan_display
from modeswitch.parts.display.session import SessionDisplay
from modeswitch.parts.display.spec import OutputSetting

TV = (OutputSetting("Virtual-1", mode="1920x1080", primary=True, right_of="Virtual-0"),)
DESK = (OutputSetting("Virtual-1", enabled=False), OutputSetting("Virtual-0", primary=True))


@pytest.fixture(scope="module")
def kwin() -> Iterator[HeadlessKwin]:
    with HeadlessKwin(outputs=2) as compositor:
        yield compositor


def layout(compositor: HeadlessKwin) -> dict[str, Any]:
    """name → (enabled, x, y, priority) from kscreen-doctor -j; a disabled output's place is moot."""
    outputs: list[dict[str, Any]] = compositor.doctor()["outputs"]
    return {o["name"]: (True, o["pos"]["x"], o["pos"]["y"], o["priority"]) if o["enabled"] else (False,)
            for o in outputs}


def test_kde_desk_then_tv_then_undo_each(kwin: HeadlessKwin) -> None:
    async def scenario() -> None:
        backend = KscreenBackend(env=kwin.env)
        start = layout(kwin)
        assert start == {"Virtual-0": (True, 0, 0, 1), "Virtual-1": (True, 1920, 0, 2)}
        [desk] = plan_display(DESK, await backend.observe())
        await backend.apply(desk)
        assert layout(kwin) == {"Virtual-0": (True, 0, 0, 1), "Virtual-1": (False,)}
        assert plan_display(DESK, await backend.observe()) == []
        [tv] = plan_display(TV, await backend.observe())
        await backend.apply(tv)
        assert layout(kwin) == {"Virtual-0": (True, 0, 0, 2), "Virtual-1": (True, 1920, 0, 1)}
        assert plan_display(TV, await backend.observe()) == []
        assert tv.undo is not None and desk.undo is not None
        await backend.apply(tv.undo)
        assert layout(kwin) == {"Virtual-0": (True, 0, 0, 1), "Virtual-1": (False,)}
        await backend.apply(desk.undo)
        assert layout(kwin) == start

    asyncio.run(scenario())


def test_kde_chosen_from_the_session_and_refusals(kwin: HeadlessKwin) -> None:
    async def scenario() -> None:
        seen = await SessionDisplay(kwin.env).observe()
        assert [(o.output, o.primary, o.right_of) for o in seen.outputs] == [
            ("Virtual-0", True, None), ("Virtual-1", False, "Virtual-0")]
        with pytest.raises(PlanError, match=r"no display output named DP-3 \(outputs: Virtual-0, Virtual-1\)"):
            plan_display((OutputSetting("DP-3"),), seen)
        before = layout(kwin)
        small = (OutputSetting("Virtual-1", mode="1280x720"),)
        bad = Step.make(StepKind.DISPLAY, "displays", "bad", {"outputs": small})
        with pytest.raises(BackendError, match=r"Virtual-1 has no mode 1280x720 \(modes: 1920x1080\)"):
            await KscreenBackend(env=kwin.env).apply(bad)
        assert layout(kwin) == before

    asyncio.run(scenario())


def test_kscreen_doctor_missing_or_no_session(tmp_path: Any) -> None:
    async def scenario() -> list[str]:
        errors = []
        for backend in (KscreenBackend(env={"PATH": "/usr/bin"}),
                        KscreenBackend(env={"WAYLAND_DISPLAY": "wl-x"}, program=str(tmp_path / "kscreen-doctor"))):
            with pytest.raises(BackendError) as caught:
                await backend.observe()
            errors.append(str(caught.value))
        return errors

    assert asyncio.run(scenario()) == [
        "no Wayland display to set up (run modeswitch inside the Plasma session)",
        f"{tmp_path / 'kscreen-doctor'} not found (install libkf5screen-bin (kscreen))"]
