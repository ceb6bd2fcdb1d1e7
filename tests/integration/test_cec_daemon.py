"""The daemon with `triggers: cec:` rules, in this process, its TV on the stand-in adapter
(modeswitch.sandbox.cec_tv) for both the tv part and the reader: the TV's remote moves the
seat, and the daemon's own switches, which wake the TV and put it to standby, never bounce back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modeswitch import protocol
from modeswitch.config.loader import Config, load_config
from modeswitch.core.history import HistoryLog
from modeswitch.core.seat import BackendSet, Seat
from modeswitch.daemon.compose import EventHandler
from modeswitch.daemon.service import Daemon
from modeswitch.parts.hooks.backend import HookRunner
from modeswitch.parts.tv import messages as cec
from modeswitch.parts.tv.backend import CecBackend
from modeswitch.paths import Paths
from modeswitch.sandbox.cec_tv import StandInTv

US, CONSOLE = 0x1000, 0x2000
CONFIG = """\
default_mode: desk
toggle: [desk, tv]
notifications: {enabled: false}
triggers:
  cec:
    - {on: tv-on, mode: tv}
    - {on: tv-standby, mode: desk}
    - {on: input-left, mode: desk}
    - {on: input-selected, mode: tv}
"""


async def until(check: Callable[[], bool], what: str, limit: float = 20.0) -> None:
    """The limit only stops a hung run; nothing here measures time."""
    for _ in range(int(limit / 0.01)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"gave up waiting for {what}")


def write_files(root: Path) -> Path:
    (root / "modes").mkdir()
    (root / "modes" / "desk.yaml").write_text("tv: {power: standby}\n")
    (root / "modes" / "tv.yaml").write_text("tv: {power: on, input: active}\n")
    (root / "config.yaml").write_text(CONFIG + "modes_dirs: [modes]\n")
    return root / "config.yaml"


async def scenario(root: Path, tv: StandInTv) -> dict[str, Any]:
    config_path = write_files(root)

    async def build(config: Config, paths: Paths, on_event: EventHandler) -> Seat:
        backends = BackendSet(hooks=HookRunner(), tv=CecBackend("/dev/cec0", opener=tv.open))
        return Seat(config, backends, HistoryLog(paths.history))

    daemon = Daemon(load_config(config_path, required=True), Paths(runtime=root / "run", state=root / "state"),
                    config_path, build=build, cec_opener=tv.listen)
    task = asyncio.create_task(daemon.run())
    seen: dict[str, Any] = {}
    try:
        await asyncio.wait_for(daemon.ready.wait(), 30)
        coordinator = daemon.coordinator
        assert coordinator is not None and daemon.seat is not None

        async def settled(mode: str) -> None:
            await until(lambda: coordinator.state.mode == mode and coordinator.state.target is None, mode)
            await asyncio.sleep(0.1)  # room for a bounce, if there were one

        seen["start"] = coordinator.state.mode
        seen["reading"] = daemon.cec.reading if daemon.cec is not None else []
        tv.remote_power(True)  # the TV switched on with its remote
        await settled("tv")
        seen["tv_shows"] = (cec.PowerStatus(tv.power).name, tv.source)
        tv.remote_input(CONSOLE)  # the console picked with the remote
        await settled("desk")
        seen["after_console"] = cec.PowerStatus(tv.power).name
        for mode in ("tv", "desk", "tv"):  # our own switches: wake, standby, wake; the TV reports each
            seen[f"cli {mode}"] = (await daemon.handle(protocol.Verb.SWITCH, {"mode": mode}))["ok"]
            await settled(mode)
        await daemon.handle(protocol.Verb.STATUS, {})  # asks the TV's power and source: answers only
        await asyncio.sleep(0.1)
        tv.remote_power(False)  # the TV switched off with its remote: already dark, desk plans no step
        await settled("desk")
        seen["history"] = [(r["target"], r["source"]) for r in daemon.seat.history.tail(20)]
    finally:
        daemon.stopping.set()
        await asyncio.wait_for(task, 30)
    seen["listeners_after"] = len(tv.listeners)
    return seen


def test_the_tv_moves_the_seat_and_our_own_switches_do_not_bounce(tmp_path: Path) -> None:
    tv = StandInTv(power=cec.PowerStatus.STANDBY, source=None, address=US, wakes_to=None)
    seen = asyncio.run(scenario(tmp_path, tv))
    assert seen["start"] == "desk" and seen["reading"] == ["/dev/cec0"]
    assert seen["tv_shows"] == ("ON", US)
    assert seen["after_console"] == "STANDBY"
    assert (seen["cli tv"], seen["cli desk"]) == (True, True)
    assert seen["history"] == [
        ("tv", "cec tv-on"), ("desk", "cec input-left"), ("tv", "cli"), ("desk", "cli"), ("tv", "cli")]
    assert seen["listeners_after"] == 0  # the adapter is let go when the daemon stops


def test_without_cec_rules_the_adapter_is_never_opened(tmp_path: Path) -> None:
    tv = StandInTv(address=US)
    config_path = write_files(tmp_path)
    config_path.write_text("default_mode: desk\nnotifications: {enabled: false}\nmodes_dirs: [modes]\n")

    async def run() -> int:
        async def build(config: Config, paths: Paths, on_event: EventHandler) -> Seat:
            return Seat(config, BackendSet(hooks=HookRunner(), tv=CecBackend("/dev/cec0", opener=tv.open)),
                        HistoryLog(paths.history))

        daemon = Daemon(load_config(config_path, required=True), Paths(runtime=tmp_path / "run",
                        state=tmp_path / "state"), config_path, build=build, cec_opener=tv.listen)
        task = asyncio.create_task(daemon.run())
        await asyncio.wait_for(daemon.ready.wait(), 30)
        listeners = len(tv.listeners)
        daemon.stopping.set()
        await asyncio.wait_for(task, 30)
        return listeners

    assert asyncio.run(run()) == 0
