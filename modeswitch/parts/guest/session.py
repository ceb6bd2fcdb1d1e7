"""Running a guest action in the logged-in user's session, through the agent.

The agent itself runs as root (Linux) or LocalSystem in session 0 (Windows). This module asks
who is logged in, picks the session, and runs the program there: on Windows through a one-shot
Task Scheduler task (windows.py), on Linux through the user's systemd manager or setpriv
(linux.py). Whatever happens (exit, timeout, a rollback cancelling the step) the temporary task
or unit and the files are removed, and a program that overran is ended, before the step
returns.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from modeswitch.errors import BackendError, StepTimeout
from modeswitch.parts.guest import linux, windows
from modeswitch.parts.guest.agent import GuestAgent, GuestRun, finished_run
from modeswitch.parts.guest.users import NoUserSession, parse_users, pick_user

T = TypeVar("T")
CLEANUP_TIMEOUT = 30.0  # seconds for removing a task (PowerShell starts slowly on a busy guest)
READ_CHUNK = 65536
READ_LIMIT = 1 << 20  # bytes of a program's output read back; the history keeps 2000 characters


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


async def wait_exit(agent: GuestAgent, pid: int, deadline: float, what: str, timeout: float) -> dict[str, Any]:
    """Polls guest-exec-status with a growing interval (the agent has no exit notification)."""
    delay = 0.01
    while True:
        status = await agent.status(pid, max(1.0, deadline - time.monotonic()))
        if status.get("exited"):
            return status
        if time.monotonic() + delay > deadline:
            raise StepTimeout(f"'{what}' did not end within {timeout:g} s in the guest")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.25)


async def to_the_end(make: Callable[[], Awaitable[T]]) -> T | None:
    """Cleanup that must finish even when the step is being cancelled (a timeout of the engine
    or a rollback): a cancellation waits for it and is passed on afterwards."""
    task = asyncio.ensure_future(make())
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, CLEANUP_TIMEOUT)
        raise
    except BackendError:
        return None


async def session_user(agent: GuestAgent, wanted: str | None, timeout: float) -> str:
    users = parse_users(await agent.command("guest-get-users", None, timeout))
    return pick_user(users, wanted)


async def is_windows(agent: GuestAgent, timeout: float) -> bool:
    info = await agent.command("guest-get-osinfo", None, timeout)
    return isinstance(info, dict) and info.get("id") == "mswindows"


async def run_in_session(agent: GuestAgent, argv: Sequence[str], wanted: str | None, timeout: float,
                         deadline: float | None = None) -> GuestRun:
    """Runs argv in the session of the logged-in user (or of `wanted`), to its end; raises
    NoUserSession before anything runs when there is no such session, StepTimeout after
    `timeout` seconds, or at `deadline` (the program is ended then)."""
    started = time.monotonic()
    deadline = deadline if deadline is not None else started + timeout
    user = await session_user(agent, wanted, timeout)
    if await is_windows(agent, timeout):
        run = await _windows(agent, argv, user, deadline, timeout)
    else:
        run = await _linux(agent, argv, user, deadline, timeout)
    return GuestRun(tuple(argv), run.exit_code, run.stdout, run.stderr, (time.monotonic() - started) * 1000)


async def _windows(agent: GuestAgent, argv: Sequence[str], user: str, deadline: float, timeout: float) -> GuestRun:
    files = windows.TaskFiles(windows.task_name(new_run_id()))
    script = windows.runner_script(argv, user, files, int(timeout) + 60)
    runner: int | None = None
    ended = False
    try:
        runner = await agent.start(windows.powershell_argv(script), timeout)
        status = await wait_exit(agent, runner, deadline, " ".join(argv), timeout)
        ended = True
        done = finished_run(argv, status, 0.0)
        code = windows.parse_task_result(done.stdout)
        if code is None:
            raise BackendError(f"could not run {argv[0]} in {user}'s session: {done.last_error_line}",
                               "the Task Scheduler service must run, and the user be logged in")
        stdout = await read_file(agent, files.stdout, timeout)
        stderr = await read_file(agent, files.stderr, timeout)
        return GuestRun(tuple(argv), code, stdout, stderr, 0.0)
    finally:
        cleanup = windows.powershell_argv(windows.cleanup_script(files, runner, ended))
        await to_the_end(lambda: _run_quietly(agent, cleanup))


async def _linux(agent: GuestAgent, argv: Sequence[str], user: str, deadline: float, timeout: float) -> GuestRun:
    probe = await agent.run(linux.probe_argv(user), max(1.0, deadline - time.monotonic()))
    found = linux.parse_probe(user, probe.stdout)
    if found is None:
        raise NoUserSession(f"user '{user}' is logged in but unknown to the guest's passwd: {probe.last_error_line}")
    if not found.systemd and not found.setpriv:
        raise BackendError(f"cannot run a program as {user} in the guest: no user manager (systemd-run) and no "
                           "setpriv", "install util-linux in the guest")
    run_id = new_run_id()
    pid = await agent.start(linux.session_argv(argv, found, run_id), timeout)
    try:
        status = await wait_exit(agent, pid, deadline, " ".join(argv), timeout)
    except BaseException:  # a timeout, or the step cancelled by a rollback: end what runs
        await to_the_end(lambda: _end_linux(agent, found, run_id, pid))
        raise
    return finished_run(argv, status, 0.0)


async def _end_linux(agent: GuestAgent, user: linux.LinuxUser, run_id: str, pid: int) -> None:
    for kill in linux.kill_argvs(user, run_id, pid):
        await _run_quietly(agent, kill)
    with contextlib.suppress(BackendError):  # collect its status, so the agent forgets it
        await wait_exit(agent, pid, time.monotonic() + 5.0, "the ended program", 5.0)


async def _run_quietly(agent: GuestAgent, argv: Sequence[str]) -> None:
    with contextlib.suppress(BackendError):
        await agent.run(argv, CLEANUP_TIMEOUT)


async def read_file(agent: GuestAgent, path: str, timeout: float) -> str:
    """A guest file's text through guest-file-open/read/close; "" when it is not there (the
    program wrote nothing, or was never started)."""
    try:
        handle = await agent.command("guest-file-open", {"path": path, "mode": "r"}, timeout)
    except BackendError:
        return ""
    data = b""
    try:
        while len(data) < READ_LIMIT:
            chunk = await agent.command("guest-file-read", {"handle": handle, "count": READ_CHUNK}, timeout)
            data += base64.b64decode(chunk.get("buf-b64") or "")
            if chunk.get("eof") or not chunk.get("count"):
                break
    finally:
        with contextlib.suppress(BackendError):
            await agent.command("guest-file-close", {"handle": handle}, timeout)
    return data.decode("utf-8", errors="replace")
