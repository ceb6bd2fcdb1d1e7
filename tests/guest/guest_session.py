"""Guest actions in the logged-in user's session, on the real guest: they run as that user
(the uid seen from inside), output and exit code come back, a timeout ends the program and
rolls the switch back, nothing of the run is left in the guest, and with nobody logged in the
switch says so in one line before anything runs. The guest image has one account, `player`
(uid 1000), with a login record on tty1 (sandbox/guest_image.py)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BootedGuest
from support.loop import run

from modeswitch.cli.render_status import print_status
from modeswitch.config.loader import Config
from modeswitch.core.history import HistoryLog
from modeswitch.core.seat import BackendSet, Seat
from modeswitch.doctor import guest as doctor_guest
from modeswitch.doctor.domain import parse_domain
from modeswitch.doctor.facts import CommandResult, Facts, LibvirtFacts
from modeswitch.doctor.roots import Roots
from modeswitch.errors import PlanError
from modeswitch.model import Mode
from modeswitch.parts.guest.backend import GuestActions
from modeswitch.parts.guest.spec import GuestAction, GuestSession
from modeswitch.parts.hooks.backend import HookRunner
from modeswitch.parts.registry import seat_json
from modeswitch.parts.vm.spec import VmPower

USER = GuestSession.USER
IDLE = Mode("idle", vm=VmPower.RUNNING)
MARK = "/tmp/made-as-user"
UTMP = "/var/run/utmp"
# A program that says who it is, leaves a file owned by that user, and exits 4 with a warning
WHO = GuestAction(("sh", "-c", f"id -u; id -g; echo $HOME; touch {MARK}; echo careful >&2; exit 4"), session=USER)
MAKE = GuestAction(("touch", MARK), 30.0, ("rm", "-f", MARK), session=USER, user="player")
SLOW = GuestAction(("sleep", "313"), 2.0, session=USER)


def make_seat(booted_guest: BootedGuest, tmp_path: Path, *modes: Mode) -> Seat:
    backends = BackendSet(hooks=HookRunner(), vm=booted_guest.backend, usb=booted_guest.vm.inventory(),
                          guest=GuestActions(booted_guest.agent))
    config = Config(path=tmp_path / "config.yaml", modes={m.name: m for m in (IDLE, *modes)}, step_timeout=30.0)
    return Seat(config, backends, HistoryLog(tmp_path / "history.jsonl"))


def switch(seat: Seat, name: str) -> dict[str, object]:
    return run(seat.switch(name, "test", current="idle", state=run(seat.observe()))).as_dict()


def in_guest(booted_guest: BootedGuest, *argv: str) -> tuple[int, str]:
    done = run(booted_guest.agent.run(list(argv), 30))
    return done.exit_code, done.stdout


@pytest.fixture(autouse=True)
def clean_guest(booted_guest: BootedGuest) -> Iterator[None]:
    yield
    in_guest(booted_guest, "rm", "-f", MARK)


def test_an_action_runs_as_the_logged_in_user_and_its_output_and_exit_code_come_back(
    booted_guest: BootedGuest, tmp_path: Path,
) -> None:
    done = run(GuestActions(booted_guest.agent).agent.run(["id", "-u"], 30))
    assert done.stdout == "0\n"  # the agent itself is root
    seat = make_seat(booted_guest, tmp_path, Mode("tv", vm=VmPower.RUNNING, guest=(WHO,)))
    record = switch(seat, "tv")
    assert not record["ok"] and record["error"] == "guest action sh exited 4: careful"
    assert in_guest(booted_guest, "stat", "-c", "%u:%g", MARK) == (0, "1000:1000\n")
    ok = GuestAction(WHO.argv[:2] + (WHO.argv[2].replace("exit 4", "exit 0"),), session=USER)
    record = switch(make_seat(booted_guest, tmp_path / "ok", Mode("tv", vm=VmPower.RUNNING, guest=(ok,))), "tv")
    assert record["ok"], record
    steps = record["steps"]
    assert isinstance(steps, list)
    assert steps[0]["output"] == "1000\n1000\n/home/player\n\n[stderr]\ncareful\n"
    assert steps[0]["description"].startswith("guest, in the user's session, sh -c id -u")


def _user_processes(booted_guest: BootedGuest) -> list[str]:
    """Every process of uid 1000 in the guest, from /proc (busybox ps shows no uids)."""
    script = "for d in /proc/[0-9]*; do [ \"$(stat -c %u $d)\" = 1000 ] && tr '\\0' ' ' < $d/cmdline && echo; done"
    return [line for line in in_guest(booted_guest, "sh", "-c", script + "; true")[1].splitlines() if line.strip()]


def test_a_timeout_ends_the_program_and_rolls_the_switch_back(booted_guest: BootedGuest, tmp_path: Path) -> None:
    seat = make_seat(booted_guest, tmp_path, Mode("tv", vm=VmPower.RUNNING, guest=(MAKE, SLOW)))
    record = switch(seat, "tv")
    assert not record["ok"]
    assert record["error"] == "'sleep 313' did not end within 2 s in the guest"
    assert [r["description"] for r in record["rolled_back"]] == [  # type: ignore[union-attr]
        "undo guest, in player's session, rm -f /tmp/made-as-user"]
    assert in_guest(booted_guest, "test", "-e", MARK)[0] == 1  # the undo ran, as the user too
    assert _user_processes(booted_guest) == []  # the sleep was ended, nothing of the run is left


def _set_aside_utmp(booted_guest: BootedGuest) -> bytes:
    """Logs everybody out: the login records go, and come back afterwards."""
    agent = booted_guest.agent
    handle = run(agent.command("guest-file-open", {"path": UTMP, "mode": "r"}, 10))
    data = base64.b64decode(run(agent.command("guest-file-read", {"handle": handle, "count": 4096}, 10))["buf-b64"])
    run(agent.command("guest-file-close", {"handle": handle}, 10))
    assert in_guest(booted_guest, "truncate", "-s", "0", UTMP)[0] == 0
    return data


def _restore_utmp(booted_guest: BootedGuest, data: bytes) -> None:
    agent = booted_guest.agent
    handle = run(agent.command("guest-file-open", {"path": UTMP, "mode": "w"}, 10))
    run(agent.command("guest-file-write", {"handle": handle, "buf-b64": base64.b64encode(data).decode()}, 10))
    run(agent.command("guest-file-close", {"handle": handle}, 10))


def test_nobody_logged_in_is_one_line_before_anything_runs(booted_guest: BootedGuest, tmp_path: Path) -> None:
    first = GuestAction(("touch", MARK), 30.0, ("rm", "-f", MARK))  # as the agent: would run first
    seat = make_seat(booted_guest, tmp_path, Mode("tv", vm=VmPower.RUNNING, guest=(first, WHO)))
    assert run(seat.observe()).get("guest").users == ("player",)  # type: ignore[union-attr]
    saved = _set_aside_utmp(booted_guest)
    try:
        observed = run(seat.observe())
        assert observed.get("guest") is not None and observed.get("guest").users == ()
        with pytest.raises(PlanError) as caught:
            run(seat.switch("tv", "test", current="idle", state=observed))
        assert str(caught.value) == ("mode 'tv': nobody is logged in to the guest, so there is no user session to "
                                     "run in (log in to the guest (or set up automatic login) and switch again)")
        assert in_guest(booted_guest, "test", "-e", MARK)[0] == 1
        assert not (tmp_path / "history.jsonl").exists()
    finally:
        _restore_utmp(booted_guest, saved)
    assert run(seat.observe()).get("guest").users == ("player",)  # type: ignore[union-attr]


def test_a_user_who_is_not_logged_in_is_named(booted_guest: BootedGuest, tmp_path: Path) -> None:
    other = GuestAction(("true",), session=USER, user="alice")
    seat = make_seat(booted_guest, tmp_path, Mode("tv", vm=VmPower.RUNNING, guest=(other,)))
    with pytest.raises(PlanError, match=r"user 'alice' is not logged in to the guest \(logged in: player\)"):
        seat.plan("tv", current="idle", state=run(seat.observe()))


def test_status_knows_the_guest(booted_guest: BootedGuest, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seat = run(make_seat(booted_guest, tmp_path).observe())
    observed = seat.get("guest")
    assert observed is not None
    assert observed.agent == "connected" and observed.os_id == "modeswitch-guest" and not observed.windows
    assert observed.os_name is not None
    assert observed.os_name.startswith("modeswitch test guest (Debian kernel, busybox) 6.")
    assert observed.agent_version is not None and observed.agent_version[0].isdigit()
    assert observed.users == ("player",) and observed.error is None
    print_status({"mode": "tv", "phase": "idle", "seat": json.loads(json.dumps(seat_json(seat)))})  # as --json has it
    shown = [line for line in capsys.readouterr().out.splitlines() if line.startswith(("guest:", "  users"))]
    assert shown == [f"guest:   {observed.os_name}, agent {observed.agent_version}",
                     "  users  player logged in: session: user actions can run now"]


def test_doctor_says_whose_session_each_mode_runs_in(booted_guest: BootedGuest, tmp_path: Path) -> None:
    observed = run(GuestActions(booted_guest.agent).observe())
    tv = Mode("tv", guest=(WHO,))
    desk = Mode("desk", guest=(GuestAction(("true",), session=USER, user="alice"),))
    domain = parse_domain(run(_live_xml(booted_guest)))
    facts = Facts(roots=Roots(), config=Config(path=tmp_path / "c.yaml", modes={"tv": tv, "desk": desk}),
                  config_error=None, libvirt=LibvirtFacts(booted_guest.vm.uri, booted_guest.vm.domain, domain=domain,
                                                          active=True),
                  audio=None, viewer_version=None, viewer_path=None, unit_enabled=CommandResult(0),
                  unit_active=CommandResult(0), guest=observed)
    found = [(f.check, f.status.value, f.message) for f in doctor_guest.checks(facts)]
    assert found[0][:2] == ("guest.agent", "ok")
    assert found[0][2] == f"qemu-guest-agent {observed.agent_version} answers in {observed.os_name}"
    assert found[1:] == [
        ("guest.users", "ok", "logged in to the guest: player"),
        ("guest.session.desk", "warn", "mode 'desk': user 'alice' is not logged in to the guest (logged in: "
         "player), so its session: user actions cannot run now"),
        ("guest.session.tv", "ok", "mode 'tv': session: user actions can run now, in player's session"),
    ]


async def _live_xml(booted_guest: BootedGuest) -> str:
    conn = booted_guest.vm.connection
    assert conn is not None
    return str(conn.lookupByName(booted_guest.vm.domain).XMLDesc(0))
