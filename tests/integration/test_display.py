"""The xrandr display backend against a real Xorg on the dummy driver (DUMMY0 desk, DUMMY1 TV)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from xorg_fixtures import DummyXorg

from modeswitch.errors import BackendError
from modeswitch.model import Step, StepKind
from modeswitch.parts.display.plan import plan_display
from modeswitch.parts.display.spec import DisplayObservation, OutputSetting
from modeswitch.parts.display.x11 import XrandrBackend

TV = (OutputSetting("DUMMY1", mode="1920x1080", primary=True, right_of="DUMMY0"),)
DESK = (OutputSetting("DUMMY1", enabled=False), OutputSetting("DUMMY0", primary=True))
DESK_ONLY = (OutputSetting("DUMMY0", True, "1920x1080", True, None), OutputSetting("DUMMY1", False))
BOTH_TV_PRIMARY = (OutputSetting("DUMMY0", True, "1920x1080", False, None),
                   OutputSetting("DUMMY1", True, "1920x1080", True, "DUMMY0"))


@pytest.fixture
def xorg() -> Iterator[DummyXorg]:
    with DummyXorg() as server:
        yield server


def layout(seen: DisplayObservation) -> tuple[OutputSetting, ...]:
    """The two monitors; the fourteen unplugged dummy outputs are checked once, below."""
    return seen.outputs[:2]


def query(server: DummyXorg) -> str:
    return subprocess.run(["xrandr", "--query"], env={**os.environ, "DISPLAY": server.display},
                          capture_output=True, text=True, check=True).stdout


async def switch(backend: XrandrBackend, wanted: tuple[OutputSetting, ...]) -> Step:
    """Plan against the live layout and apply, as the engine would; returns the step that ran."""
    [step] = plan_display(wanted, await backend.observe())
    await backend.apply(step)
    return step


def test_observe_reads_the_dummy_outputs(xorg: DummyXorg) -> None:
    seen = asyncio.run(XrandrBackend(xorg.display).observe())
    assert layout(seen) == (OutputSetting("DUMMY0", True, "1920x1080", True, None),
                            OutputSetting("DUMMY1", True, "1920x1080", False, "DUMMY0"))
    assert [o.output for o in seen.outputs[2:]] == [f"DUMMY{n}" for n in range(2, 16)]
    assert not any(o.enabled for o in seen.outputs[2:])


def test_desk_then_tv_then_undo_each(xorg: DummyXorg) -> None:
    async def scenario() -> None:
        backend = XrandrBackend(xorg.display)
        desk = await switch(backend, DESK)
        assert layout(await backend.observe()) == DESK_ONLY
        assert plan_display(DESK, await backend.observe()) == []  # in place: nothing to plan
        tv = await switch(backend, TV)
        assert layout(await backend.observe()) == BOTH_TV_PRIMARY
        assert plan_display(TV, await backend.observe()) == []
        assert tv.undo is not None and desk.undo is not None
        await backend.apply(tv.undo)
        assert layout(await backend.observe()) == DESK_ONLY
        await backend.apply(desk.undo)
        assert layout(await backend.observe()) == (OutputSetting("DUMMY0", True, "1920x1080", True, None),
                                                   OutputSetting("DUMMY1", True, "1920x1080", False, "DUMMY0"))

    asyncio.run(scenario())


def test_tv_layout_with_another_mode_and_auto(xorg: DummyXorg) -> None:
    async def scenario() -> None:
        backend = XrandrBackend(xorg.display)
        await switch(backend, DESK)
        await switch(backend, (OutputSetting("DUMMY1", mode="1280x720", right_of="DUMMY0"),))
        assert layout(await backend.observe())[1] == OutputSetting("DUMMY1", True, "1280x720", False, "DUMMY0")
        await switch(backend, (OutputSetting("DUMMY1", enabled=False),))
        await switch(backend, (OutputSetting("DUMMY1", right_of="DUMMY0"),))  # no mode: --auto, preferred
        assert layout(await backend.observe())[1] == OutputSetting("DUMMY1", True, "1920x1080", False, "DUMMY0")

    asyncio.run(scenario())


def test_applying_twice_runs_xrandr_only_to_look(xorg: DummyXorg, tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    logging_xrandr = tmp_path / "xrandr"  # the real xrandr, recording each command line
    logging_xrandr.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec {shutil.which("xrandr")} "$@"\n')
    logging_xrandr.chmod(0o755)

    async def scenario() -> None:
        backend = XrandrBackend(xorg.display, xrandr=str(logging_xrandr))
        step = await switch(backend, TV)
        assert calls.read_text().splitlines() == [
            "--query", "--query", "--output DUMMY1 --mode 1920x1080 --primary --right-of DUMMY0"]
        calls.unlink()
        await backend.apply(step)
        assert calls.read_text().splitlines() == ["--query"]
        assert layout(await backend.observe()) == BOTH_TV_PRIMARY

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        ((OutputSetting("DUMMY1", enabled=False), OutputSetting("HDMI-1")), "xrandr has no output named HDMI-1"),
        ((OutputSetting("DUMMY1", right_of="DUMMY3"),), "DUMMY1 cannot be right of DUMMY3"),
        ((OutputSetting("DUMMY1", mode="1366x767"),), "xrandr --output DUMMY1 --mode 1366x767 exited 1"),
    ],
)
def test_a_layout_xrandr_cannot_apply_fails_and_changes_nothing(
    xorg: DummyXorg, outputs: tuple[OutputSetting, ...], message: str
) -> None:
    async def scenario() -> None:
        backend = XrandrBackend(xorg.display)
        await switch(backend, DESK)
        before = query(xorg)
        with pytest.raises(BackendError) as caught:
            await backend.apply(Step.make(StepKind.DISPLAY, "displays", "bad", {"outputs": outputs}))
        assert message in str(caught.value) and "\n" not in str(caught.value)
        assert query(xorg) == before

    asyncio.run(scenario())


def test_errors_name_the_cause_in_one_line(tmp_path: Path) -> None:
    async def scenario() -> list[str]:
        errors = []
        free = next(n for n in range(59000, 60000) if not Path(f"/tmp/.X{n}-lock").exists())
        for backend in [XrandrBackend(env={"PATH": os.environ["PATH"]}),
                        XrandrBackend(f":{free}"),
                        XrandrBackend(":0", xrandr=str(tmp_path / "xrandr"))]:
            with pytest.raises(BackendError) as caught:
                await backend.observe()
            errors.append(str(caught.value))
        return errors

    no_display, no_server, no_program = asyncio.run(scenario())
    assert no_display == "no X display to set up (set DISPLAY, or run modeswitch inside the X session)"
    assert no_server.startswith("xrandr --query exited 1: Can't open display :59")
    assert no_server.endswith("may this user connect to it?)")
    assert no_program == f"{tmp_path / 'xrandr'} not found (install x11-xserver-utils or xorg-xrandr)"
    assert not any("\n" in error for error in (no_display, no_server, no_program))


def test_servers_side_by_side_leave_no_lock_or_socket_behind() -> None:
    with DummyXorg() as first, DummyXorg() as second:
        assert first.number != second.number
        files = [Path(f"/tmp/.X{n}-lock") for n in (first.number, second.number)]
        files += [Path(f"/tmp/.X11-unix/X{n}") for n in (first.number, second.number)]
        assert all(path.exists() for path in files)
        assert Path(f"/tmp/.X{first.number}-lock").read_text().split() == [str(first.pid)]
        for server in (first, second):
            assert asyncio.run(XrandrBackend(server.display).observe()).outputs[0].output == "DUMMY0"
    assert not any(path.exists() for path in files)
