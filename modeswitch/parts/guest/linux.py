"""The Linux half of a guest action in the user's session: argv lists. Pure.

With a systemd user manager running for the user (any desktop login starts one), the program
runs as a transient unit of that manager (`systemd-run --user --machine=USER@`): in the
session's cgroup, with the environment the desktop imported (WAYLAND_DISPLAY, DISPLAY, the
session bus), and `--collect` removes the unit however it ends. Without one (a guest without
systemd), util-linux `setpriv` switches to the user's uid, gid and groups with a fresh login
environment; unlike runuser it opens no PAM session and needs no PAM configuration, so it
works on minimal guests too. `setsid` then puts the run in a process group of its own, which
is what a timeout kills (setpriv comes first: busybox's setsid would run its own setpriv
applet, which cannot change uids, whatever PATH says).

What the guest has is asked once per run by a probe: a fixed script, the user name passed as
its argument (never pasted into the script).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PROBE_SCRIPT = r"""uid=$(id -u -- "$1") || exit 3
gid=$(id -g -- "$1") || exit 3
echo "uid=$uid"
echo "gid=$gid"
if command -v systemd-run >/dev/null 2>&1 && [ -S "/run/user/$uid/systemd/private" ]; then echo systemd=yes; fi
if command -v setpriv >/dev/null 2>&1; then echo setpriv=yes; fi
"""


@dataclass(frozen=True)
class LinuxUser:
    """What the probe found about the user and the guest."""

    name: str
    uid: int
    gid: int
    systemd: bool  # a user manager runs for them and systemd-run exists
    setpriv: bool


def probe_argv(user: str) -> list[str]:
    return ["/bin/sh", "-c", PROBE_SCRIPT, "modeswitch-probe", user]


def parse_probe(user: str, stdout: str) -> LinuxUser | None:
    """None when the probe did not name a uid and gid (the user does not exist)."""
    found = dict(line.split("=", 1) for line in stdout.splitlines() if "=" in line)
    try:
        uid, gid = int(found["uid"]), int(found["gid"])
    except (KeyError, ValueError):
        return None
    return LinuxUser(user, uid, gid, found.get("systemd") == "yes", found.get("setpriv") == "yes")


def unit_name(run_id: str) -> str:
    return f"modeswitch-{run_id}"


def session_env(user: LinuxUser) -> list[str]:
    """The session's runtime dir and bus, which setpriv's fresh environment lacks."""
    runtime = f"/run/user/{user.uid}"
    return [f"XDG_RUNTIME_DIR={runtime}", f"DBUS_SESSION_BUS_ADDRESS=unix:path={runtime}/bus"]


def session_argv(argv: Sequence[str], user: LinuxUser, run_id: str) -> list[str]:
    """The guest-exec argv that runs `argv` as `user` in their session."""
    if user.systemd:
        return ["systemd-run", "--user", f"--machine={user.name}@", f"--unit={unit_name(run_id)}", "--collect",
                "--wait", "--pipe", "--quiet", "--service-type=exec", "--", *argv]
    return ["setpriv", f"--reuid={user.uid}", f"--regid={user.gid}", "--init-groups", "--reset-env", "--",
            "setsid", "env", *session_env(user), *argv]


def kill_argvs(user: LinuxUser, run_id: str, pid: int) -> list[list[str]]:
    """What ends a run that overran: the unit and all it started, or the process group."""
    if user.systemd:
        manager = ["systemctl", "--user", f"--machine={user.name}@"]
        return [[*manager, "kill", "--signal=SIGKILL", unit_name(run_id)],
                [*manager, "stop", unit_name(run_id)], ["kill", "-KILL", str(pid)]]
    return [["kill", "-KILL", "--", f"-{pid}"]]
