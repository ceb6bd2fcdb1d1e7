"""The Wayland display backends against real headless compositors, each change checked from
outside the backend: swaymsg for sway, gdbus's GetCurrentState for Mutter."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator

import pytest
from support.compositors import HeadlessMutter, HeadlessSway

from modeswitch.errors import BackendError, PlanError
from modeswitch.model import Step, StepKind
from modeswitch.parts.display.gnome import MutterBackend
from modeswitch.parts.display.plan import plan_display
from modeswitch.parts.display.session import SessionDisplay
from modeswitch.parts.display.spec import OutputSetting
from modeswitch.parts.display.sway import SwayBackend

# sway: HEADLESS-1 is the desk screen (1280x720), HEADLESS-2 the TV (1920x1080).
SWAY_TV = (OutputSetting("HEADLESS-2", mode="1920x1080", right_of="HEADLESS-1"),)
SWAY_DESK = (OutputSetting("HEADLESS-2", mode="1280x720"), OutputSetting("HEADLESS-1", right_of="HEADLESS-2"))
# GNOME: Meta-0 desk (1920x1080), Meta-1 TV (1280x720).
GNOME_TV = (OutputSetting("Meta-1", primary=True, right_of="Meta-0"),)
GNOME_DESK = (OutputSetting("Meta-1", enabled=False), OutputSetting("Meta-0", primary=True))
_LOGICAL = re.compile(r"\((-?\d+), (-?\d+), [\d.]+, (?:uint32 )?\d+, (true|false), \[\('([^']+)'")


@pytest.fixture
def sway() -> Iterator[HeadlessSway]:
    with HeadlessSway(outputs=2) as compositor:
        yield compositor


@pytest.fixture
def mutter() -> Iterator[HeadlessMutter]:
    with HeadlessMutter(["1920x1080", "1280x720"]) as compositor:
        yield compositor


def sway_outputs(compositor: HeadlessSway) -> dict[str, tuple[bool, int, int, int, int]]:
    """name → (active, x, y, width, height), as swaymsg reports it."""
    return {o["name"]: (o["active"], o["rect"]["x"], o["rect"]["y"], o["rect"]["width"], o["rect"]["height"])
            for o in json.loads(compositor.swaymsg("-t", "get_outputs"))}


def mutter_layout(compositor: HeadlessMutter) -> dict[str, tuple[int, int, bool]]:
    """connector → (x, y, primary) for every lit monitor, from gdbus's GetCurrentState."""
    state = compositor.gdbus_state()
    logical = state[state.rindex("'display-name'"):]  # after the last monitor: the logical monitors
    return {name: (int(x), int(y), primary == "true") for x, y, primary, name in _LOGICAL.findall(logical)}


async def switch(backend: SwayBackend | MutterBackend, wanted: tuple[OutputSetting, ...]) -> Step:
    [step] = plan_display(wanted, await backend.observe())
    await backend.apply(step)
    return step


def test_sway_desk_then_tv_then_undo_each(sway: HeadlessSway) -> None:
    async def scenario() -> None:
        backend = SwayBackend(sway.socket)
        start = sway_outputs(sway)
        assert start == {"HEADLESS-1": (True, 0, 0, 1280, 720), "HEADLESS-2": (True, 1280, 0, 1920, 1080)}
        desk = await switch(backend, SWAY_DESK)
        assert sway_outputs(sway) == {"HEADLESS-1": (True, 1280, 0, 1280, 720), "HEADLESS-2": (True, 0, 0, 1280, 720)}
        assert plan_display(SWAY_DESK, await backend.observe()) == []
        tv = await switch(backend, SWAY_TV)
        assert sway_outputs(sway) == {"HEADLESS-1": (True, 0, 0, 1280, 720), "HEADLESS-2": (True, 1280, 0, 1920, 1080)}
        assert plan_display(SWAY_TV, await backend.observe()) == []
        assert tv.undo is not None and desk.undo is not None
        await backend.apply(tv.undo)
        assert sway_outputs(sway)["HEADLESS-2"][3:] == (1280, 720)  # the size it had; "anywhere" stays anywhere
        await backend.apply(desk.undo)
        assert sway_outputs(sway) == start

    asyncio.run(scenario())


def test_sway_chosen_from_the_session(sway: HeadlessSway) -> None:
    env = {"WAYLAND_DISPLAY": "wayland-1", "SWAYSOCK": sway.socket, "XDG_CURRENT_DESKTOP": "sway", "DISPLAY": ":0"}
    seen = asyncio.run(SessionDisplay(env).observe())
    assert [(o.output, o.mode, o.right_of) for o in seen.outputs] == [
        ("HEADLESS-1", "1280x720", None), ("HEADLESS-2", "1920x1080", "HEADLESS-1")]
    assert not seen.primary_supported


def test_sway_refusals_change_nothing(sway: HeadlessSway) -> None:
    async def scenario() -> None:
        backend = SwayBackend(sway.socket)
        before = sway_outputs(sway)
        with pytest.raises(PlanError, match=r"no display output named HDMI-A-1 \(outputs: HEADLESS-1, HEADLESS-2\)"):
            plan_display((OutputSetting("HDMI-A-1"),), await backend.observe())
        with pytest.raises(PlanError, match="this desktop has no primary output"):
            plan_display((OutputSetting("HEADLESS-2", primary=True),), await backend.observe())
        # headless sway 1.7 says "success" but cannot disable an output: read back, put back, say so
        off = Step.make(StepKind.DISPLAY, "displays", "tv off", {"outputs": (
            OutputSetting("HEADLESS-1", mode="1920x1080"), OutputSetting("HEADLESS-2", enabled=False))})
        with pytest.raises(BackendError, match="sway did not apply the layout for HEADLESS-2; it was put back"):
            await backend.apply(off)
        assert sway_outputs(sway) == before

    asyncio.run(scenario())


def test_gnome_desk_then_tv_then_undo_each(mutter: HeadlessMutter) -> None:
    async def scenario() -> None:
        backend = MutterBackend(mutter.bus)
        start = mutter_layout(mutter)
        assert start == {"Meta-0": (0, 0, True), "Meta-1": (1920, 0, False)}
        desk = await switch(backend, GNOME_DESK)
        assert mutter_layout(mutter) == {"Meta-0": (0, 0, True)}
        assert plan_display(GNOME_DESK, await backend.observe()) == []
        tv = await switch(backend, GNOME_TV)
        assert mutter_layout(mutter) == {"Meta-0": (0, 0, False), "Meta-1": (1920, 0, True)}
        assert plan_display(GNOME_TV, await backend.observe()) == []
        assert tv.undo is not None and desk.undo is not None
        await backend.apply(tv.undo)
        assert mutter_layout(mutter) == {"Meta-0": (0, 0, True)}
        await backend.apply(desk.undo)
        assert mutter_layout(mutter) == start

    asyncio.run(scenario())


def test_gnome_chosen_from_the_session(mutter: HeadlessMutter) -> None:
    env = {"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "GNOME", "DBUS_SESSION_BUS_ADDRESS": mutter.bus}
    seen = asyncio.run(SessionDisplay(env).observe())
    assert [(o.output, o.enabled, o.mode, o.primary, o.right_of) for o in seen.outputs] == [
        ("Meta-0", True, "1920x1080", True, None), ("Meta-1", True, "1280x720", False, "Meta-0")]


@pytest.mark.parametrize(("outputs", "message"), [
    ((OutputSetting("HDMI-1"),), r"GNOME has no output named HDMI-1 \(outputs: Meta-0, Meta-1\)"),
    ((OutputSetting("Meta-1", mode="3840x2160"),), r"Meta-1 has no mode 3840x2160 \(modes: 1280x720\)"),
    ((OutputSetting("Meta-0", enabled=False), OutputSetting("Meta-1", enabled=False)),
     "Mutter refused ApplyMonitorsConfig: "),
])
def test_gnome_refusals_change_nothing(mutter: HeadlessMutter, outputs: tuple[OutputSetting, ...],
                                       message: str) -> None:
    before = mutter.gdbus_state()
    step = Step.make(StepKind.DISPLAY, "displays", "bad", {"outputs": outputs})
    with pytest.raises(BackendError, match=message) as caught:
        asyncio.run(MutterBackend(mutter.bus).apply(step))
    assert "\n" not in str(caught.value)
    assert mutter.gdbus_state() == before


def test_unreachable_compositors_say_why_in_one_line(tmp_path: object) -> None:
    async def scenario() -> list[str]:
        errors = []
        for backend in (SwayBackend(env={}), SwayBackend("/nonexistent/sway.sock"), MutterBackend(env={}),
                        MutterBackend("unix:path=/nonexistent/bus")):
            with pytest.raises(BackendError) as caught:
                await backend.observe()
            errors.append(str(caught.value))
        return errors

    no_sock, no_sway, no_bus, bus_gone = asyncio.run(scenario())
    assert no_sock == "no sway IPC socket (set SWAYSOCK, or run modeswitch inside the sway session)"
    assert no_sway.startswith("cannot reach sway at /nonexistent/sway.sock: No such file or directory")
    assert no_bus.startswith("no D-Bus session bus (")
    assert bus_gone.startswith("cannot reach the session bus at unix:path=/nonexistent/bus")
