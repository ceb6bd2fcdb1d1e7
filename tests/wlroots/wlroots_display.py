"""The wlr-output-management backend on real headless wlroots compositors, every change
checked from outside it with wlr-randr (another client of the same protocol, libwayland's).

HEADLESS-1 is the desk screen, HEADLESS-2 the TV; wlroots' headless outputs start at
1280x720 side by side (the compositor chooses the order) and take any size as a custom mode.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from support.compositors import HeadlessWlroots

from modeswitch.errors import BackendError, PlanError
from modeswitch.model import Step, StepKind
from modeswitch.parts.display.plan import plan_display
from modeswitch.parts.display.session import SessionDisplay
from modeswitch.parts.display.spec import OutputSetting
from modeswitch.parts.display.wlroots import WlrOutputBackend

TV = (OutputSetting("HEADLESS-2", mode="1920x1080", right_of="HEADLESS-1"),)
DESK = (OutputSetting("HEADLESS-2", enabled=False), OutputSetting("HEADLESS-1", mode="1600x900"))
COMPOSITORS = ["labwc", "sway"]


@pytest.fixture(params=COMPOSITORS)
def compositor(request: pytest.FixtureRequest) -> Iterator[HeadlessWlroots]:
    with HeadlessWlroots(request.param, outputs=2) as running:
        yield running


def layout(compositor: HeadlessWlroots) -> dict[str, tuple[Any, ...]]:
    """name → (enabled, x, y, width, height), as wlr-randr reports it."""
    out: dict[str, tuple[Any, ...]] = {}
    for head in compositor.randr():
        if not head["enabled"]:
            out[head["name"]] = (False,)
            continue
        mode = next(m for m in head["modes"] if m["current"])
        out[head["name"]] = (True, head["position"]["x"], head["position"]["y"], mode["width"], mode["height"])
    return out


async def switch(backend: WlrOutputBackend, wanted: tuple[OutputSetting, ...]) -> Step:
    [step] = plan_display(wanted, await backend.observe())
    await backend.apply(step)
    return step


def test_observed_as_wlr_randr_sees_it(compositor: HeadlessWlroots) -> None:
    seen = asyncio.run(WlrOutputBackend(env=compositor.env).observe())
    randr = layout(compositor)
    assert {o.output: (o.enabled, o.mode) for o in seen.outputs} == {
        name: (True, f"{state[3]}x{state[4]}") for name, state in randr.items()}
    left, right = sorted(randr, key=lambda name: randr[name][1])
    assert {o.output: o.right_of for o in seen.outputs} == {left: None, right: left}
    assert not seen.primary_supported


def test_tv_then_desk_then_undo_each(compositor: HeadlessWlroots) -> None:
    async def scenario() -> None:
        backend = WlrOutputBackend(env=compositor.env)
        start = layout(compositor)
        tv = await switch(backend, TV)
        assert layout(compositor) == {"HEADLESS-1": (True, 0, 0, 1280, 720), "HEADLESS-2": (True, 1280, 0, 1920, 1080)}
        assert plan_display(TV, await backend.observe()) == []  # in place: nothing to do
        desk = await switch(backend, DESK)
        assert layout(compositor) == {"HEADLESS-1": (True, 0, 0, 1600, 900), "HEADLESS-2": (False,)}
        assert plan_display(DESK, await backend.observe()) == []
        assert tv.undo is not None and desk.undo is not None
        await backend.apply(desk.undo)
        assert layout(compositor) == {"HEADLESS-1": (True, 0, 0, 1280, 720), "HEADLESS-2": (True, 1280, 0, 1920, 1080)}
        await backend.apply(tv.undo)
        assert {name: state[3:] for name, state in layout(compositor).items()} == \
            {name: state[3:] for name, state in start.items()}  # the sizes it had; "anywhere" stays anywhere

    asyncio.run(scenario())


def test_chosen_from_the_session(compositor: HeadlessWlroots) -> None:
    """WAYLAND_DISPLAY, and neither GNOME, KDE nor sway's IPC: the protocol (labwc sets
    XDG_CURRENT_DESKTOP=labwc:wlroots; sway without SWAYSOCK is reached this way too)."""
    desktop = {"labwc": "labwc:wlroots"}.get(compositor.program, "")
    display = SessionDisplay({**compositor.env, "XDG_CURRENT_DESKTOP": desktop})
    asyncio.run(display.apply(Step.make(StepKind.DISPLAY, "displays", "tv", {"outputs": TV})))
    assert layout(compositor)["HEADLESS-2"] == (True, 1280, 0, 1920, 1080)
    assert isinstance(display.current(), WlrOutputBackend)


def test_refusals_change_nothing(compositor: HeadlessWlroots) -> None:
    async def scenario() -> None:
        backend = WlrOutputBackend(env=compositor.env)
        before = layout(compositor)
        with pytest.raises(PlanError, match=r"no display output named HDMI-A-1 \(outputs: HEADLESS-"):
            plan_display((OutputSetting("HDMI-A-1"),), await backend.observe())
        with pytest.raises(PlanError, match="this desktop has no primary output"):
            plan_display((OutputSetting("HEADLESS-2", primary=True),), await backend.observe())
        unknown = Step.make(StepKind.DISPLAY, "displays", "x", {"outputs": (
            OutputSetting("HEADLESS-1", mode="800x600"), OutputSetting("DP-9", right_of="HEADLESS-1"))})
        with pytest.raises(BackendError, match=r"^the compositor has no output named DP-9 \(outputs: HEADLESS-"):
            await backend.apply(unknown)  # refused before anything is sent: HEADLESS-1 keeps its size
        overlap = Step.make(StepKind.DISPLAY, "displays", "x", {"outputs": (
            OutputSetting("HEADLESS-1", right_of="HEADLESS-2"), OutputSetting("HEADLESS-2", right_of="HEADLESS-1"))})
        with pytest.raises(BackendError):
            await backend.apply(overlap)
        assert layout(compositor) == before

    asyncio.run(scenario())


def test_an_unreachable_compositor_says_why_in_one_line(tmp_path: Any) -> None:
    with pytest.raises(BackendError) as caught:
        asyncio.run(WlrOutputBackend(str(tmp_path / "wayland-9")).observe())
    assert str(caught.value).startswith(f"cannot reach the Wayland compositor at {tmp_path / 'wayland-9'}: ")
    assert "\n" not in str(caught.value)
