"""desk ⇄ tv through the whole pipeline (mode files → Seat → plan → engine → the session's
display backend) on real X11, sway and GNOME sessions, each checked from outside."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path

from support.compositors import HeadlessMutter, HeadlessSway
from xorg_fixtures import DummyXorg

from modeswitch.config.loader import load_config
from modeswitch.core.history import HistoryLog
from modeswitch.core.seat import BackendSet, Seat
from modeswitch.parts.display.session import SessionDisplay
from modeswitch.parts.hooks.backend import HookRunner


def seat_for(tmp_path: Path, env: dict[str, str], desk: str, tv: str) -> Seat:
    """Mode files as a user writes them; the session is chosen from `env`."""
    modes = tmp_path / "modes"
    modes.mkdir()
    (modes / "desk.yaml").write_text(desk)
    (modes / "tv.yaml").write_text(tv)
    (tmp_path / "config.yaml").write_text("default_mode: desk\n")
    config = load_config(tmp_path / "config.yaml", required=True)
    backends = BackendSet(hooks=HookRunner(), display=SessionDisplay(env))
    return Seat(config, backends, HistoryLog(tmp_path / "history.jsonl"))


def cycle(seat: Seat, look: object) -> list[object]:
    """desk → tv → desk; what the outside view shows after each, and that a repeat plans nothing."""
    async def run() -> list[object]:
        seen = []
        for target in ("desk", "tv", "desk"):
            result = await seat.switch(target, "test", state=await seat.observe())
            assert result.ok, result.error
            seen.append(look())  # type: ignore[operator]
            assert seat.plan(target, current=target, state=await seat.observe()).empty
        return seen

    return asyncio.run(run())


def test_x11(tmp_path: Path) -> None:
    with DummyXorg() as xorg:
        def look() -> list[str]:
            out = subprocess.run(["xrandr", "--query"], env={**os.environ, "DISPLAY": xorg.display},
                                 capture_output=True, text=True, check=True).stdout
            heads = [line for line in out.splitlines() if line.startswith(("DUMMY0 ", "DUMMY1 "))]
            return [line.split(" (")[0].removesuffix(" 0mm x 0mm") for line in heads]

        seat = seat_for(tmp_path, {"DISPLAY": xorg.display, "PATH": os.environ["PATH"]},
                        "display:\n  - {output: DUMMY1, enabled: false}\n  - {output: DUMMY0, primary: true}\n",
                        "display:\n  - {output: DUMMY1, mode: 1920x1080, right_of: DUMMY0, primary: true}\n")
        desk, tv, back = cycle(seat, look)
    assert desk == back == ["DUMMY0 connected primary 1920x1080+0+0", "DUMMY1 connected"]
    assert tv == ["DUMMY0 connected 1920x1080+0+0", "DUMMY1 connected primary 1920x1080+1920+0"]


def test_sway(tmp_path: Path) -> None:
    with HeadlessSway(outputs=2) as sway:
        def look() -> dict[str, list[int]]:
            outputs = json.loads(sway.swaymsg("-t", "get_outputs"))
            return {o["name"]: [o["rect"]["x"], o["rect"]["width"]] for o in outputs}

        env = {"WAYLAND_DISPLAY": "wayland-1", "SWAYSOCK": sway.socket, "XDG_CURRENT_DESKTOP": "sway"}
        seat = seat_for(tmp_path, env,
                        "display:\n  - {output: HEADLESS-2, mode: 1280x720}\n"
                        "  - {output: HEADLESS-1, right_of: HEADLESS-2}\n",
                        "display:\n  - {output: HEADLESS-2, mode: 1920x1080, right_of: HEADLESS-1}\n")
        desk, tv, back = cycle(seat, look)
    assert desk == back == {"HEADLESS-1": [1280, 1280], "HEADLESS-2": [0, 1280]}
    assert tv == {"HEADLESS-1": [0, 1280], "HEADLESS-2": [1280, 1920]}


def test_gnome(tmp_path: Path) -> None:
    with HeadlessMutter(["1920x1080", "1280x720"]) as mutter:
        def look() -> str:
            state = mutter.gdbus_state()
            return state[state.rindex("'display-name'"):].split("], {")[0]

        env = {"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "GNOME", "DBUS_SESSION_BUS_ADDRESS": mutter.bus}
        seat = seat_for(tmp_path, env,
                        "display:\n  - {output: Meta-1, enabled: false}\n  - {output: Meta-0, primary: true}\n",
                        "display:\n  - {output: Meta-1, right_of: Meta-0, primary: true}\n")
        desk, tv, back = cycle(seat, look)
    assert desk == back and "Meta-1" not in str(desk) and "(0, 0, 1.0, uint32 0, true, [('Meta-0'" in str(desk)
    assert "(0, 0, 1.0, uint32 0, false, [('Meta-0'" in str(tv) and "(1920, 0, 1.0, 0, true, [('Meta-1'" in str(tv)
