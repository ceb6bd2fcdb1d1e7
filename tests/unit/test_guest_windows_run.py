"""The order of a Windows session run, against the answers a Windows qemu-guest-agent gives
(no Windows guest can run here; the replies are shaped as qga-win 7.x/9.x sends them): who is
logged in and the OS first, then the runner, the output files read back, and the cleanup last,
which after a timeout also ends the runner and the program."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Sequence
from typing import Any

import pytest

from modeswitch.errors import BackendError, StepTimeout
from modeswitch.parts.guest import windows
from modeswitch.parts.guest.agent import AgentState, GuestRun
from modeswitch.parts.guest.session import run_in_session
from modeswitch.parts.guest.users import NoUserSession

OSINFO = {"id": "mswindows", "name": "Microsoft Windows", "pretty-name": "Windows 11 Pro", "kernel-version": "10.0",
          "kernel-release": "22631", "machine": "x86_64", "variant": "client", "version-id": "11"}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class WindowsAgentReplies:
    """Answers like the agent of a Windows guest where the task runs and ends (or never ends)."""

    def __init__(self, users: list[dict[str, Any]], runner_ends: bool = True) -> None:
        self.users, self.runner_ends = users, runner_ends
        self.calls: list[tuple[str, Any]] = []
        self.files: dict[str, bytes] = {}
        self.started: list[list[str]] = []

    async def state(self) -> AgentState:
        return AgentState.CONNECTED

    async def wait_ready(self, timeout: float) -> None:
        return None

    async def command(self, execute: str, arguments: dict[str, Any] | None, timeout: float) -> Any:
        self.calls.append((execute, arguments))
        if execute == "guest-get-users":
            return self.users
        if execute == "guest-get-osinfo":
            return OSINFO
        if execute == "guest-file-open":
            if arguments is None or arguments["path"] not in self.files:
                raise BackendError("guest agent: failed to open file (error: The system cannot find the file)")
            return 1000 + list(self.files).index(arguments["path"])
        if execute == "guest-file-read":
            assert arguments is not None
            data = list(self.files.values())[arguments["handle"] - 1000]
            return {"count": len(data), "buf-b64": base64.b64encode(data).decode(), "eof": True}
        return {}

    async def start(self, argv: Sequence[str], timeout: float) -> int:
        self.started.append(list(argv))
        self.calls.append(("guest-exec", list(argv)))
        script = base64.b64decode(argv[-1]).decode("utf-16-le")
        if "Register-ScheduledTask" in script:  # the program's output, as the task's script writes it
            name = script.split("-TaskName '", 1)[1].split("'", 1)[0]
            files = windows.TaskFiles(name)
            self.files = {files.stdout: "Anzeige gewählt\r\n".encode(), files.stderr: b"Warnung\r\n"}
        return len(self.started)

    async def status(self, pid: int, timeout: float) -> dict[str, Any]:
        if pid == 1 and not self.runner_ends:
            return {"exited": False}
        out = "modeswitch-task-result 3\r\n" if pid == 1 else ""
        return {"exited": True, "exitcode": 0, "out-data": b64(out)}

    async def run(self, argv: Sequence[str], timeout: float) -> GuestRun:
        pid = await self.start(argv, timeout)
        status = await self.status(pid, timeout)
        return GuestRun(tuple(argv), status["exitcode"], "", "", 1.0)

    async def send_keys(self, codes: Sequence[int], hold_ms: int) -> None:
        raise AssertionError("no keys here")

    async def close(self) -> None:
        return None

    def scripts(self) -> list[str]:
        return [base64.b64decode(argv[-1]).decode("utf-16-le") for argv in self.started]


ARGV = ("C:\\Program Files\\MultiMonitorTool\\MultiMonitorTool.exe", "/SetPrimary", "\\\\.\\DISPLAY1")
JUERGEN = [{"user": "Jürgen", "domain": "DESKTOP-7", "login-time": 1764800000.5}]


def test_a_run_registers_the_task_reads_the_output_back_and_cleans_up() -> None:
    agent = WindowsAgentReplies(JUERGEN)
    done = asyncio.run(run_in_session(agent, ARGV, None, 30.0))
    assert (done.exit_code, done.stdout, done.stderr) == (3, "Anzeige gewählt\r\n", "Warnung\r\n")
    runner, cleanup = agent.scripts()
    name = runner.split("-TaskName '", 1)[1].split("'", 1)[0]
    files = windows.TaskFiles(name)
    assert name.startswith("modeswitch-") and len(name) == len("modeswitch-") + 12
    assert runner == windows.runner_script(ARGV, "DESKTOP-7\\Jürgen", files, 90)
    assert cleanup == windows.cleanup_script(files, 1, ended=True)
    assert [c[0] for c in agent.calls] == ["guest-get-users", "guest-get-osinfo", "guest-exec", "guest-file-open",
                                           "guest-file-read", "guest-file-close", "guest-file-open",
                                           "guest-file-read", "guest-file-close", "guest-exec"]
    assert all(argv[0] == windows.POWERSHELL for argv in agent.started)


def test_a_timeout_ends_the_runner_and_the_program_and_still_removes_the_task() -> None:
    agent = WindowsAgentReplies(JUERGEN, runner_ends=False)
    with pytest.raises(StepTimeout, match="did not end within 0.3 s in the guest"):
        asyncio.run(run_in_session(agent, ARGV, "jürgen", 0.3))
    runner, cleanup = agent.scripts()
    files = windows.TaskFiles(runner.split("-TaskName '", 1)[1].split("'", 1)[0])
    assert cleanup == windows.cleanup_script(files, 1, ended=False)
    assert "/PID 1 /T /F" in cleanup


def test_nobody_logged_in_runs_nothing() -> None:
    agent = WindowsAgentReplies([])
    with pytest.raises(NoUserSession, match="nobody is logged in"):
        asyncio.run(run_in_session(agent, ARGV, None, 30.0))
    assert agent.started == []


def test_a_rollback_cancelling_the_step_still_ends_and_removes_everything() -> None:
    agent = WindowsAgentReplies(JUERGEN, runner_ends=False)

    async def cancelled() -> None:
        task = asyncio.ensure_future(run_in_session(agent, ARGV, None, 30.0))
        await asyncio.sleep(0.1)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(cancelled())
    runner, cleanup = agent.scripts()
    files = windows.TaskFiles(runner.split("-TaskName '", 1)[1].split("'", 1)[0])
    assert cleanup == windows.cleanup_script(files, 1, ended=False)
