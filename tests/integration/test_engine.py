"""The engine with backends that really act: the viewer supervisor with real child processes and
the hook runner with hooks that write files. A step fails at each position in turn; the seat must
end exactly as it started, read back through observe()."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import pytest
from daemon_fixtures import proc_state
from support.loop import run
from support.waiting import until

from modeswitch.config.loader import Config
from modeswitch.core.history import HistoryLog
from modeswitch.core.seat import BackendSet, Seat
from modeswitch.errors import BackendError
from modeswitch.model import Mode, Step, StepKind
from modeswitch.parts.hooks.backend import HookRunner
from modeswitch.parts.hooks.spec import Hook, Hooks
from modeswitch.parts.viewer.backend import ViewerSupervisor
from modeswitch.parts.viewer.spec import ViewerSpec

T = TypeVar("T")
VIEWER = ("sleep", "1000")
IGNORES_TERM = (
    "import pathlib, signal, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "pathlib.Path(sys.argv[1]).write_text('ready')\n"
    "time.sleep(1000)\n"
)






async def gone(pid: int) -> bool:
    return proc_state(pid) is None


def alive(pid: int) -> bool:
    return proc_state(pid) not in (None, "Z")


def make_seat(tmp_path: Path, modes: list[Mode], grace: float = 1.0) -> Seat:
    viewer = ViewerSupervisor(VIEWER, tmp_path / "run" / "viewer.pid", grace)
    config = Config(path=tmp_path / "config.yaml", modes={m.name: m for m in modes}, step_timeout=5.0)
    return Seat(config, BackendSet(hooks=HookRunner(), viewer=viewer), HistoryLog(tmp_path / "history.jsonl"))


def touch_hook(path: Path, timeout: float = 5.0) -> Hook:
    return Hook(("touch", str(path)), timeout, ("rm", "-f", str(path)))


FAILURES: dict[str, tuple[Hook, str]] = {
    "false": (Hook(("false",)), "hook false exited 1"),
    "timeout": (Hook(("sleep", "30"), 0.3), "hook sleep did not finish within 0.3 s"),
    "killed": (Hook(("sh", "-c", "kill -KILL $$")), "hook sh was killed by signal 9"),
}


def desk_mode(tmp_path: Path, fail_at: int | None, failure: str) -> Mode:
    """before: b1, b2 · viewer start · after: a1, a2 — every hook leaves a file and has an undo."""
    hooks = [touch_hook(tmp_path / "files" / name) for name in ("b1", "b2", "a1", "a2")]
    argv = VIEWER
    if fail_at == 2:
        argv = (str(tmp_path / "no-such-viewer"),)
    elif fail_at is not None:
        hooks[fail_at if fail_at < 2 else fail_at - 1] = FAILURES[failure][0]
    return Mode("desk", viewer=ViewerSpec(True, argv), hooks=Hooks(tuple(hooks[:2]), tuple(hooks[2:])))


def files(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "files").iterdir())


POSITIONS = [(0, "false"), (1, "false"), (3, "false"), (4, "false"),
             (0, "timeout"), (1, "timeout"), (3, "timeout"), (4, "timeout"),
             (0, "killed"), (1, "killed"), (3, "killed"), (4, "killed"),
             (2, "viewer")]


@pytest.mark.parametrize(("fail_at", "failure"), POSITIONS, ids=[f"{p}-{f}" for p, f in POSITIONS])
def test_failure_at_each_position_rolls_back_from_stopped(tmp_path: Path, fail_at: int, failure: str) -> None:
    (tmp_path / "files").mkdir()
    mode = desk_mode(tmp_path, fail_at, failure)
    seat = make_seat(tmp_path, [mode, Mode("tv", viewer=ViewerSpec(False))])

    async def scenario() -> None:
        before = await seat.observe()
        assert before.viewer is not None and not before.viewer.running
        try:
            result = await seat.switch("desk", "test", state=await seat.observe())
            assert not result.ok
            after = await seat.observe()
            assert after.viewer is not None and not after.viewer.running
            assert files(tmp_path) == []
            assert not (tmp_path / "run" / "viewer.pid").exists()
            record = seat.history.tail(1)[0]
            failed = [s for s in record["steps"] if not s["ok"]]
            assert len(failed) == 1 and record["failed_step"] == failed[0]["description"]
            assert len(record["steps"]) == fail_at + 1
            assert len(record["rolled_back"]) == fail_at  # each completed step had an undo
            assert all(s["ok"] for s in record["rolled_back"])
            if failure == "viewer":
                assert record["failed_step"] == "start Looking Glass"
                assert "no-such-viewer' not found" in record["error"]
            else:
                assert record["error"] == FAILURES[failure][1]
                assert record["failed_step"].split(" ", 1)[1] == " ".join(FAILURES[failure][0].argv)
        finally:
            await seat.backends.close()

    run(scenario())


@pytest.mark.parametrize("failure", ["false", "timeout", "killed"])
def test_failure_after_stopping_the_viewer_restarts_it(tmp_path: Path, failure: str) -> None:
    (tmp_path / "files").mkdir()
    tv = Mode("tv", viewer=ViewerSpec(False), hooks=Hooks(
        before=(touch_hook(tmp_path / "files" / "b1"),), after=(FAILURES[failure][0],)))
    seat = make_seat(tmp_path, [Mode("desk", viewer=ViewerSpec(True, VIEWER)), tv])

    async def scenario() -> None:
        try:
            assert (await seat.switch("desk", "test", state=await seat.observe())).ok
            first = await seat.observe()
            assert first.viewer is not None and first.viewer.running and first.viewer.pid is not None
            result = await seat.switch("tv", "test", state=await seat.observe())
            assert not result.ok and result.error == FAILURES[failure][1]
            assert [r.step.kind for r in result.undone] == [StepKind.VIEWER_START, StepKind.HOOK]
            after = await seat.observe()
            assert after.viewer is not None and after.viewer.running
            assert after.viewer.pid != first.viewer.pid and alive(after.viewer.pid or 0)
            await until(lambda: gone(first.viewer.pid or 0), "the stopped viewer to be reaped")
            assert files(tmp_path) == []
            history = seat.history.tail(5)
            assert [(r["target"], r["ok"]) for r in history] == [("desk", True), ("tv", False)]
        finally:
            await seat.backends.close()

    run(scenario())


def test_success_runs_everything_and_records_durations(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    seat = make_seat(tmp_path, [desk_mode(tmp_path, None, ""), Mode("tv", viewer=ViewerSpec(False))])

    async def scenario() -> None:
        try:
            result = await seat.switch("desk", "test", state=await seat.observe())
            assert result.ok and files(tmp_path) == ["a1", "a2", "b1", "b2"]
            observed = await seat.observe()
            assert observed.viewer is not None and observed.viewer.running
            record = seat.history.tail(1)[0]
            assert [s["kind"] for s in record["steps"]] == ["hook", "hook", "viewer.start", "hook", "hook"]
            assert all(s["ok"] and s["duration_ms"] >= 0 for s in record["steps"])
            # in place: no steps, no record
            again = await seat.switch("desk", "test", current="desk", state=await seat.observe())
            assert again.ok and again.steps == [] and len(seat.history.tail(10)) == 1
        finally:
            await seat.backends.close()

    run(scenario())


def test_cancellation_mid_transition_rolls_back(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    marker = tmp_path / "hook.pid"
    slow = Hook(("sh", "-c", f'echo $$ > {marker}.tmp && mv {marker}.tmp {marker} && exec sleep 30'), 60)
    desk = Mode("desk", viewer=ViewerSpec(True, VIEWER),
                hooks=Hooks(before=(touch_hook(tmp_path / "files" / "b1"),), after=(slow,)))
    seat = make_seat(tmp_path, [desk, Mode("tv", viewer=ViewerSpec(False))])

    async def scenario() -> None:
        try:
            task = asyncio.create_task(seat.switch("desk", "test", state=await seat.observe()))
            await until(lambda: asyncio.sleep(0, marker.exists()), "the slow after-hook to start")
            running = await seat.observe()
            assert running.viewer is not None and running.viewer.running
            assert files(tmp_path) == ["b1"]
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            after = await seat.observe()
            assert after.viewer is not None and not after.viewer.running
            assert files(tmp_path) == []
            hook_pid = int(marker.read_text())
            await until(lambda: gone(hook_pid), "the cancelled hook to be killed and reaped")
            await until(lambda: gone(running.viewer.pid or 0), "the viewer to be reaped")
        finally:
            await seat.backends.close()

    run(scenario())


def test_a_missing_backend_fails_the_step_and_rolls_back(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    display = Mode("desk", viewer=ViewerSpec(True, VIEWER), hooks=Hooks(before=(touch_hook(tmp_path / "files" / "b"),)))
    seat = make_seat(tmp_path, [display])

    async def scenario() -> None:
        from modeswitch.model import Plan

        plan = Plan("desk", ((Step.make(StepKind.HOOK, "touch", "b", {"argv": ("touch", str(tmp_path / "files" / "b"))},
                                        Step.make(StepKind.HOOK, "rm", "rm b",
                                                  {"argv": ("rm", str(tmp_path / "files" / "b"))})),),
                             (Step.make(StepKind.DISPLAY, "displays", "set displays"),)))
        try:
            result = await seat.engine.run(plan, "test")
            assert not result.ok and result.failed_step == "set displays"
            assert result.error == "no backend handles display steps (is that part configured?)"
            assert files(tmp_path) == []
        finally:
            await seat.backends.close()

    run(scenario())


# --- the supervisor on its own ---------------------------------------------------------------------

def test_viewer_restarts_with_backoff_when_it_dies_while_wanted(tmp_path: Path) -> None:
    supervisor = ViewerSupervisor(VIEWER, tmp_path / "viewer.pid", grace=1.0)

    async def scenario() -> None:
        try:
            await supervisor.start(VIEWER)
            pids = [(await supervisor.observe()).pid]
            for restarts in (1, 2):
                os.kill(pids[-1] or 0, signal.SIGKILL)

                async def restarted(count: int = restarts) -> bool:
                    seen = await supervisor.observe()
                    return seen.running and seen.restarts == count

                await until(restarted, f"restart number {restarts}")
                pids.append((await supervisor.observe()).pid)
            assert len(set(pids)) == 3
            for pid in pids[:-1]:
                await until(lambda pid=pid: gone(pid), f"pid {pid} to be reaped")
            assert int((tmp_path / "viewer.pid").read_text().split("\n")[0]) == pids[-1]
            await supervisor.stop()
            await until(lambda: gone(pids[-1] or 0), "the last viewer to be reaped")
            assert not (await supervisor.observe()).running
            assert not (tmp_path / "viewer.pid").exists()
        finally:
            await supervisor.close()

    run(scenario())


def test_stop_kills_a_viewer_that_ignores_sigterm(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ready = tmp_path / "ready"
    argv = (sys.executable, "-c", IGNORES_TERM, str(ready))
    supervisor = ViewerSupervisor(argv, tmp_path / "viewer.pid", grace=0.3)

    async def scenario() -> None:
        try:
            await supervisor.start(argv)
            pid = (await supervisor.observe()).pid
            assert pid is not None
            await until(lambda: asyncio.sleep(0, ready.exists()), "the viewer to ignore SIGTERM")
            with caplog.at_level(logging.WARNING, logger="modeswitch.parts.viewer.backend"):
                await supervisor.stop()
            assert f"viewer pid {pid} ignored SIGTERM" in caplog.text
            await until(lambda: gone(pid), "the killed viewer to be reaped (no zombie)")
            assert not (await supervisor.observe()).running
            await asyncio.sleep(0.6)  # longer than the first backoff: an unwanted viewer stays stopped
            assert not (await supervisor.observe()).running
        finally:
            await supervisor.close()

    run(scenario())


def test_stop_with_sigterm_leaves_no_zombie(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    supervisor = ViewerSupervisor(VIEWER, tmp_path / "viewer.pid", grace=5.0)

    async def scenario() -> None:
        await supervisor.start(VIEWER)
        pid = (await supervisor.observe()).pid
        assert pid is not None and proc_state(pid) in ("S", "R")
        with caplog.at_level(logging.WARNING):
            await supervisor.close()  # stop_on_close: the daemon's exit path
        assert "ignored SIGTERM" not in caplog.text
        await until(lambda: gone(pid), "the viewer to be reaped")

    run(scenario())


def test_a_new_supervisor_adopts_the_running_viewer(tmp_path: Path) -> None:
    pidfile = tmp_path / "run" / "viewer.pid"

    async def scenario() -> None:
        first = ViewerSupervisor(VIEWER, pidfile, grace=1.0, stop_on_close=False)
        await first.start(VIEWER)
        pid = (await first.observe()).pid
        assert pid is not None
        await first.close()  # the one-shot CLI exits: the viewer keeps running
        assert alive(pid)
        second = ViewerSupervisor(("other",), pidfile, grace=1.0)
        try:
            seen = await second.observe()
            assert seen.running and seen.pid == pid
            os.kill(pid, signal.SIGKILL)  # adopted viewers are wanted: restarted too

            async def replaced() -> bool:
                now = await second.observe()
                return now.running and now.pid != pid

            await until(replaced, "the adopted viewer to be restarted")
            new_pid = (await second.observe()).pid
            await second.stop()
            await until(lambda: gone(new_pid or 0), "the viewer to be reaped")
            # This process is the killed viewer's parent; in real use the one-shot CLI that
            # started it has exited and init reaps it. Reap it as init would.
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            await until(lambda: gone(pid), "the adopted viewer to be reaped")
        finally:
            await second.close()

    run(scenario())


def test_a_pid_file_naming_another_program_is_not_adopted(tmp_path: Path) -> None:
    pidfile = tmp_path / "viewer.pid"
    pidfile.write_text(f"{os.getpid()}\n" + "\0".join(VIEWER))

    async def scenario() -> None:
        supervisor = ViewerSupervisor(VIEWER, pidfile)
        seen = await supervisor.observe()
        assert not seen.running and seen.pid is None
        assert not pidfile.exists()
        await supervisor.close()

    run(scenario())


def test_start_of_a_missing_program_is_a_backend_error(tmp_path: Path) -> None:
    supervisor = ViewerSupervisor(VIEWER, tmp_path / "viewer.pid")

    async def scenario() -> None:
        with pytest.raises(BackendError, match="'/nonexistent/viewer' not found"):
            await supervisor.start(("/nonexistent/viewer",))
        await supervisor.stop()
        assert not (await supervisor.observe()).running

    run(scenario())


def test_hook_environment_and_stderr_in_the_error(tmp_path: Path) -> None:
    runner = HookRunner()
    out = tmp_path / "env"
    step = Step.make(StepKind.HOOK, "sh", "before-hook sh", {"argv": ("sh", "-c", f'echo "$MODESWITCH_HOOK" > {out}')})
    failing = replace(step, args={"argv": ("sh", "-c", "echo broken pipe >&2; exit 3")})

    async def scenario() -> None:
        await runner.apply(step)
        assert out.read_text() == "before-hook sh\n"
        with pytest.raises(BackendError, match="^hook sh exited 3: broken pipe$"):
            await runner.apply(failing)
        with pytest.raises(BackendError, match="hook /nonexistent/hook: No such file or directory"):
            await runner.apply(replace(step, args={"argv": ("/nonexistent/hook",)}))

    run(scenario())


def test_failed_restarts_back_off(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    script = tmp_path / "viewer.sh"
    script.write_text("#!/bin/sh\nexec sleep 1000\n")
    script.chmod(0o755)
    supervisor = ViewerSupervisor((str(script),), tmp_path / "viewer.pid", grace=1.0)

    async def scenario() -> None:
        try:
            with caplog.at_level(logging.WARNING, logger="modeswitch.parts.viewer.backend"):
                await supervisor.start((str(script),))
                pid = (await supervisor.observe()).pid
                script.unlink()  # the viewer was uninstalled under us: every restart now fails
                os.kill(pid or 0, signal.SIGKILL)
                await until(lambda: asyncio.sleep(0, "restarting in 2.0 s" in caplog.text), "a third retry")
            delays = [line.rsplit(" in ", 1)[1] for line in caplog.text.splitlines() if "restarting in" in line]
            assert delays[:3] == ["0.5 s", "1.0 s", "2.0 s"]
            assert "'" + str(script) + "' not found" in caplog.text
        finally:
            await supervisor.close()
        assert not (await supervisor.observe()).running

    run(scenario())
