"""Guest actions in the user's session and hotkeys, the pure parts: the mode keys (errors at
file:line:col), whose session an action runs in, the Linux argv lists, the plan (keys need no
agent; nobody logged in is refused before anything runs) and what status shows of the guest."""

from __future__ import annotations

from pathlib import Path

import pytest

from modeswitch.config.loader import load_config
from modeswitch.core.plan import plan
from modeswitch.errors import ConfigError, PlanError
from modeswitch.model import Mode, SeatState, StepKind
from modeswitch.parts.guest.agent import AgentState
from modeswitch.parts.guest.linux import LinuxUser, kill_argvs, parse_probe, probe_argv, session_argv
from modeswitch.parts.guest.observe import observation, os_name
from modeswitch.parts.guest.spec import GuestAction, GuestKeys, GuestObservation, GuestSession, KeyChord
from modeswitch.parts.guest.users import NoUserSession, parse_users, pick_user
from modeswitch.parts.vm.spec import VmObservation, VmPower

CHORD = KeyChord(("KEY_LEFTCTRL", "KEY_LEFTSHIFT", "KEY_Q"), (29, 42, 16))


def load_tv(tmp_path: Path, guest: str) -> Mode:
    (tmp_path / "modes").mkdir(parents=True)
    (tmp_path / "modes" / "tv.yaml").write_text("name: tv\nguest:\n" + guest)
    (tmp_path / "modes" / "desk.yaml").write_text("name: desk\nvm: running\n")
    (tmp_path / "config.yaml").write_text("libvirt: {domain: win11}\n")
    return load_config(tmp_path / "config.yaml", required=True).modes["tv"]


def test_session_user_and_keys_are_read(tmp_path: Path) -> None:
    mode = load_tv(tmp_path, "  - {argv: ['C:\\Tools\\x.exe', /a], session: user}\n"
                             "  - {argv: [y], user: 'PC\\Jürgen'}\n"
                             "  - {argv: [z], session: system}\n"
                             "  - {keys: [KEY_LEFTCTRL, leftshift, KEY_Q], hold: 0.1, undo: [KEY_LEFTCTRL, KEY_F9]}\n"
                             "  - {keys: [KEY_F13]}\n")
    assert mode.guest == (
        GuestAction(("C:\\Tools\\x.exe", "/a"), session=GuestSession.USER),
        GuestAction(("y",), session=GuestSession.USER, user="PC\\Jürgen"),
        GuestAction(("z",)),
        GuestKeys(CHORD, 0.1, KeyChord(("KEY_LEFTCTRL", "KEY_F9"), (29, 67))),
        GuestKeys(KeyChord(("KEY_F13",), (183,)), 0.05),
    )


@pytest.mark.parametrize(("guest", "where", "message"), [
    ("  - {argv: [x], session: users}\n", "3:26", "unknown session 'users'"),
    ("  - {argv: [x], session: system, user: bob}\n", "3:40", "'user' runs the program in that user's session"),
    ("  - {argv: [x], user: ' '}\n", "3:23", "'user' is empty"),
    ("  - {keys: [KEY_Q], argv: [x]}\n", "3:12", "either a program (argv) or keys, not both"),
    ("  - {keys: [KEY_QQ]}\n", "3:13", "unknown key 'KEY_QQ'"),
    ("  - {keys: []}\n", "3:12", "keys needs at least one key"),
    ("  - {keys: [KEY_Q], hold: 0}\n", "3:27", ""),
    ("  - {keys: [KEY_Q], timeout: 3}\n", "3:21", "unknown key 'timeout'"),
    ("  - {keys: [" + ", ".join(["KEY_A"] * 17) + "]}\n", "3:125", "at most 16 keys at once"),
    ("  - {session: user}\n", "3:5", "a guest entry needs 'argv' (a program) or 'keys' (a hotkey)"),
    ("  - {hold: 0.1}\n", "3:5", "a guest entry needs 'argv' (a program) or 'keys' (a hotkey)"),
    ("  - {keys: [KEY_Q], session: user}\n", "3:21", "unknown key 'session'"),
])
def test_errors_name_the_place(tmp_path: Path, guest: str, where: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_tv(tmp_path, guest)
    text = str(caught.value)
    assert text.startswith(f"{tmp_path}/modes/tv.yaml:{where}: "), text
    assert message in text and "\n" not in text


@pytest.mark.parametrize(("reply", "expected"), [
    ([{"user": "player", "login-time": 1.5}, {"user": "player", "login-time": 2.0}], ("player",)),
    ([{"user": "Jürgen", "domain": "DESKTOP-7", "login-time": 1.0}, {"user": "admin", "domain": "AD"}],
     ("DESKTOP-7\\Jürgen", "AD\\admin")),
    ([], ()), (None, ()), ([{"login-time": 1}], ()),
])
def test_logged_in_users_from_the_agent(reply: object, expected: tuple[str, ...]) -> None:
    assert parse_users(reply) == expected


@pytest.mark.parametrize(("users", "wanted", "expected"), [
    (("player",), None, "player"),
    (("DESKTOP-7\\Jürgen",), "jürgen", "DESKTOP-7\\Jürgen"),  # Windows names ignore case
    (("DESKTOP-7\\Jürgen",), "desktop-7\\JÜRGEN", "DESKTOP-7\\Jürgen"),
    (("player", "root"), "root", "root"),
])
def test_whose_session(users: tuple[str, ...], wanted: str | None, expected: str) -> None:
    assert pick_user(users, wanted) == expected


@pytest.mark.parametrize(("users", "wanted", "message"), [
    ((), None, "nobody is logged in to the guest"),
    (("player",), "Player", "user 'Player' is not logged in to the guest (logged in: player)"),  # Linux: exact
    (("player", "root"), None, "several users are logged in to the guest (player, root)"),
])
def test_no_session_to_run_in_is_one_line(users: tuple[str, ...], wanted: str | None, message: str) -> None:
    with pytest.raises(NoUserSession) as caught:
        pick_user(users, wanted)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


SYSTEMD = LinuxUser("player", 1000, 1000, systemd=True, setpriv=True)
PLAIN = LinuxUser("player", 1000, 1000, systemd=False, setpriv=True)


def test_linux_argv_lists() -> None:
    assert session_argv(["pactl", "set-default-sink", "hdmi"], SYSTEMD, "r1") == [
        "systemd-run", "--user", "--machine=player@", "--unit=modeswitch-r1", "--collect", "--wait", "--pipe",
        "--quiet", "--service-type=exec", "--", "pactl", "set-default-sink", "hdmi"]
    assert session_argv(["pactl", "info"], PLAIN, "r1") == [
        "setpriv", "--reuid=1000", "--regid=1000", "--init-groups", "--reset-env", "--", "setsid", "env",
        "XDG_RUNTIME_DIR=/run/user/1000", "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus", "pactl", "info"]
    assert kill_argvs(PLAIN, "r1", 77) == [["kill", "-KILL", "--", "-77"]]
    assert kill_argvs(SYSTEMD, "r1", 77) == [
        ["systemctl", "--user", "--machine=player@", "kill", "--signal=SIGKILL", "modeswitch-r1"],
        ["systemctl", "--user", "--machine=player@", "stop", "modeswitch-r1"], ["kill", "-KILL", "77"]]
    probe = probe_argv("o'brien; rm -rf /")
    assert probe[:2] == ["/bin/sh", "-c"] and probe[3:] == ["modeswitch-probe", "o'brien; rm -rf /"]


@pytest.mark.parametrize(("stdout", "expected"), [
    ("uid=1000\ngid=1000\nsystemd=yes\nsetpriv=yes\n", SYSTEMD),
    ("uid=1000\ngid=1000\nsetpriv=yes\n", PLAIN),
    ("uid=1000\ngid=1000\n", LinuxUser("player", 1000, 1000, False, False)),
    ("", None), ("uid=x\ngid=1\n", None),
])
def test_the_probe_reads_back(stdout: str, expected: LinuxUser | None) -> None:
    assert parse_probe("player", stdout) == expected


RUNNING = VmObservation("win11", True, "running", agent="connected")
IN_SESSION = GuestAction(("SoundVolumeView.exe", "/SetDefault", "TV"), 15.0, ("SoundVolumeView.exe", "/x"),
                         session=GuestSession.USER)
HOTKEY = GuestKeys(CHORD, 0.05)


def test_keys_need_no_agent_channel_and_plan_a_guest_step() -> None:
    mode = Mode("tv", vm=VmPower.RUNNING, guest=(HOTKEY,))
    no_channel = VmObservation("win11", True, "running", agent="no-channel")
    result = plan(SeatState(vm=no_channel), mode, [mode], entering=True)
    (step,), = result.groups
    assert step.kind is StepKind.GUEST and step.target == "keyboard" and step.undo is None
    assert step.description == "guest keys KEY_LEFTCTRL+KEY_LEFTSHIFT+KEY_Q (held 0.05 s)"
    assert dict(step.args) == {"keys": (29, 42, 16), "names": CHORD.names, "hold": 0.05}
    undone = GuestKeys(CHORD, 0.05, KeyChord(("KEY_F9",), (67,)))
    (step,), = plan(SeatState(vm=RUNNING), Mode("tv", guest=(undone,)), [], entering=True).groups
    assert step.undo is not None and step.undo.description == "undo guest keys KEY_F9 (held 0.05 s)"


def test_a_session_action_carries_its_session_into_the_step_and_its_undo() -> None:
    mode = Mode("tv", vm=VmPower.RUNNING, guest=(IN_SESSION,))
    (step,), = plan(SeatState(vm=RUNNING), mode, [mode], entering=True).groups
    assert dict(step.args) == {"argv": IN_SESSION.argv, "timeout": 15.0, "session": "user", "user": None}
    assert step.description == "guest, in the user's session, SoundVolumeView.exe /SetDefault TV"
    assert step.undo is not None and step.undo.args["session"] == "user"


@pytest.mark.parametrize(("users", "message"), [
    ((), "mode 'tv': nobody is logged in to the guest"),
    (("PC\\a", "PC\\b"), "mode 'tv': several users are logged in to the guest (PC\\a, PC\\b)"),
])
def test_a_session_action_is_refused_before_anything_runs_when_the_agent_says_so(
    users: tuple[str, ...], message: str,
) -> None:
    mode = Mode("tv", vm=VmPower.RUNNING, guest=(HOTKEY, IN_SESSION))
    guest = GuestObservation("connected", "mswindows", "Windows 11 Pro", "7.2.0", users)
    with pytest.raises(PlanError) as caught:
        plan(SeatState(vm=RUNNING, guest=guest), mode, [mode], entering=True)
    assert str(caught.value).startswith(message)


def test_a_guest_that_cannot_be_asked_yet_leaves_the_check_to_the_step() -> None:
    mode = Mode("tv", vm=VmPower.RUNNING, guest=(IN_SESSION,))
    off = VmObservation("win11", True, "shutoff", agent="vm-off")
    result = plan(SeatState(vm=off, guest=GuestObservation("vm-off")), mode, [mode])
    assert [[s.kind for s in g] for g in result.groups] == [[StepKind.VM_START], [StepKind.GUEST]]


WINDOWS_INFO = {"id": "mswindows", "name": "Microsoft Windows", "pretty-name": "Windows 11 Pro",
                "version": "Microsoft Windows 11", "version-id": "11", "kernel-version": "10.0",
                "kernel-release": "22631", "machine": "x86_64", "variant": "client"}
DEBIAN_INFO = {"id": "debian", "name": "Debian GNU/Linux", "pretty-name": "Debian GNU/Linux 12 (bookworm)",
               "kernel-release": "6.1.0-26-amd64", "kernel-version": "#1 SMP", "machine": "x86_64"}


@pytest.mark.parametrize(("info", "expected"), [
    (WINDOWS_INFO, "Windows 11 Pro (10.0 build 22631)"),
    (DEBIAN_INFO, "Debian GNU/Linux 12 (bookworm) 6.1.0-26-amd64"),
    ({"kernel-release": "6.1.0-26-amd64"}, "6.1.0-26-amd64"),  # no os-release in the guest
    ({}, None), (None, None),
])
def test_the_guests_os_as_status_names_it(info: object, expected: str | None) -> None:
    assert os_name(info) == expected


def test_the_observation_from_the_agents_answers() -> None:
    seen = observation(AgentState.CONNECTED, {"version": "9.2.0"}, WINDOWS_INFO,
                       [{"user": "Jürgen", "domain": "DESKTOP-7"}])
    assert seen == GuestObservation("connected", "mswindows", "Windows 11 Pro (10.0 build 22631)", "9.2.0",
                                    ("DESKTOP-7\\Jürgen",))
    assert seen.windows
    unanswered = observation(AgentState.CONNECTED, None, None, None, "guest-get-users: timeout")
    assert unanswered.users is None and unanswered.error == "guest-get-users: timeout"
