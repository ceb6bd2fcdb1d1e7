"""Guest actions on the real guest and agent: run when entering a mode, output kept in the
history, a failing action rolls the switch back (its earlier actions' undos run inside the
guest), and every failure is one line with nothing half-applied."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest
from conftest import BootedGuest
from support.loop import run, shared_root

from modeswitch.config.loader import Config
from modeswitch.core.history import HistoryLog
from modeswitch.core.seat import BackendSet, Seat
from modeswitch.errors import PlanError
from modeswitch.model import Mode
from modeswitch.parts.guest.backend import GuestActions, LibvirtGuestAgent
from modeswitch.parts.guest.spec import GuestAction
from modeswitch.parts.hooks.backend import HookRunner
from modeswitch.parts.vm.spec import VmPower
from modeswitch.sandbox.embedded_vm import EmbeddedVm

FIRST = GuestAction(("touch", "/tmp/made-by-first"), 30.0, ("rm", "-f", "/tmp/made-by-first"))
SAYS = GuestAction(("sh", "-c", "echo picture moved to the TV; echo a warning >&2"))
FAILS = GuestAction(("sh", "-c", "echo first problem >&2; echo Access is denied. >&2; exit 3"))
IDLE = Mode("idle", vm=VmPower.RUNNING)


def make_seat(booted_guest: BootedGuest, tmp_path: Path, *modes: Mode) -> Seat:
    backends = BackendSet(hooks=HookRunner(), vm=booted_guest.backend, usb=booted_guest.vm.inventory(),
                          guest=GuestActions(booted_guest.agent))
    config = Config(path=tmp_path / "config.yaml", modes={m.name: m for m in (IDLE, *modes)}, step_timeout=30.0)
    return Seat(config, backends, HistoryLog(tmp_path / "history.jsonl"))


def switch(seat: Seat, name: str) -> dict[str, object]:
    result = run(seat.switch(name, "test", current="idle", state=run(seat.observe())))
    return result.as_dict()


def in_guest(booted_guest: BootedGuest, *argv: str) -> int:
    return run(booted_guest.agent.run(list(argv), 30)).exit_code


@pytest.fixture(autouse=True)
def clean_guest(booted_guest: BootedGuest) -> Iterator[None]:
    yield
    in_guest(booted_guest, "rm", "-f", "/tmp/made-by-first")


def test_actions_run_in_the_guest_and_their_output_is_in_the_history(
    booted_guest: BootedGuest, tmp_path: Path,
) -> None:
    seat = make_seat(booted_guest, tmp_path, Mode("tv", vm=VmPower.RUNNING, guest=(FIRST, SAYS)))
    record = switch(seat, "tv")
    assert record["ok"], record
    assert in_guest(booted_guest, "test", "-e", "/tmp/made-by-first") == 0
    steps = record["steps"]
    assert isinstance(steps, list)
    assert [s["description"] for s in steps] == ["guest touch /tmp/made-by-first",
                                                 "guest sh -c echo picture moved to the TV; echo a warning >&2"]
    assert steps[1]["output"] == "picture moved to the TV\n\n[stderr]\na warning\n"
    stored = json.loads((tmp_path / "history.jsonl").read_text().splitlines()[-1])
    assert stored["steps"][1]["output"] == steps[1]["output"]


def test_a_failing_action_rolls_back_inside_the_guest(booted_guest: BootedGuest, tmp_path: Path) -> None:
    seat = make_seat(booted_guest, tmp_path, Mode("tv", vm=VmPower.RUNNING, guest=(FIRST, FAILS)))
    record = switch(seat, "tv")
    assert not record["ok"]
    assert record["error"] == "guest action sh exited 3: Access is denied."
    assert [r["description"] for r in record["rolled_back"]] == [  # type: ignore[union-attr]
        "undo guest rm -f /tmp/made-by-first"]
    assert in_guest(booted_guest, "test", "-e", "/tmp/made-by-first") == 1  # the undo removed it


def test_a_program_missing_in_the_guest_is_one_line(booted_guest: BootedGuest, tmp_path: Path) -> None:
    missing = GuestAction(("/no/such/DisplaySwitch.exe", "/external"))
    seat = make_seat(booted_guest, tmp_path, Mode("tv", vm=VmPower.RUNNING, guest=(FIRST, missing)))
    record = switch(seat, "tv")
    error = str(record["error"])
    assert not record["ok"] and "'/no/such/DisplaySwitch.exe' does not exist in the guest" in error
    assert "\n" not in error
    assert in_guest(booted_guest, "test", "-e", "/tmp/made-by-first") == 1


def test_status_reports_the_agent_connected(booted_guest: BootedGuest) -> None:
    observed = run(booted_guest.backend.observe())
    assert observed.agent == "connected"
    assert json.loads(json.dumps(asdict(observed)))["agent"] == "connected"  # as status --json has it


class Silent:
    """A VM with the agent's channel whose guest never answers (it boots nothing), and one
    without the channel at all."""

    def __init__(self, mute: EmbeddedVm, bare: EmbeddedVm, agent: LibvirtGuestAgent) -> None:
        self.mute, self.bare, self.agent = mute, bare, agent


@pytest.fixture(scope="module")
def silent() -> Iterator[Silent]:
    mute = EmbeddedVm("modeswitch-mute", pads=0, root=shared_root(), agent_channel=True)
    bare = EmbeddedVm("modeswitch-bare", pads=0, root=shared_root())
    run(mute.__aenter__())
    try:
        run(bare.__aenter__())
        agent = mute.agent()
        run(agent.connect())
        try:
            yield Silent(mute, bare, agent)
        finally:
            run(agent.close())
            run(bare.__aexit__(None, None, None))
    finally:
        run(mute.__aexit__(None, None, None))


def test_an_agent_that_does_not_answer_in_time_fails_the_step(silent: Silent, tmp_path: Path) -> None:
    backend = silent.mute.backend()
    run(backend.connect())
    try:
        assert run(backend.observe()).agent == "disconnected"
        quick = GuestAction(("true",), timeout=1.0)
        backends = BackendSet(hooks=HookRunner(), vm=backend, guest=GuestActions(silent.agent))
        config = Config(path=tmp_path / "c.yaml", modes={"tv": Mode("tv", vm=VmPower.RUNNING, guest=(quick,))},
                        step_timeout=30.0)
        seat = Seat(config, backends, HistoryLog(tmp_path / "history.jsonl"))
        result = run(seat.switch("tv", "test", state=run(seat.observe())))
        assert not result.ok and result.error is not None
        assert result.error.startswith("the guest agent did not answer within 1 s")
    finally:
        run(backend.close())


def test_a_domain_without_the_channel_is_refused_before_anything_runs(silent: Silent, tmp_path: Path) -> None:
    backend = silent.bare.backend()
    run(backend.connect())
    try:
        assert run(backend.observe()).agent == "no-channel"
        mode = Mode("tv", vm=VmPower.RUNNING, guest=(FIRST,))
        seat = Seat(Config(path=tmp_path / "c.yaml", modes={"tv": mode}, step_timeout=30.0),
                    BackendSet(hooks=HookRunner(), vm=backend), HistoryLog(tmp_path / "history.jsonl"))
        with pytest.raises(PlanError, match="has no org.qemu.guest_agent.0 channel"):
            seat.plan("tv", state=run(seat.observe()))
        assert not (tmp_path / "history.jsonl").exists()
    finally:
        run(backend.close())
