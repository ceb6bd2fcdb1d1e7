"""Looking Glass supervisor: runs the viewer while the mode wants it, never leaves a zombie.

The viewer is started in its own session so it can outlive a one-shot CLI, and its pid is
recorded beside the control socket; a later daemon adopts it after checking /proc, so the
state is read from the world, not remembered. Exit is noticed through a pidfd on the event
loop (no polling), and a viewer that dies while wanted is restarted with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import time
from pathlib import Path

from modeswitch.errors import BackendError
from modeswitch.model import Step, StepKind, ViewerObservation

log = logging.getLogger(__name__)

_BACKOFF_START = 0.5
_BACKOFF_MAX = 30.0
_HEALTHY_AFTER = 10.0  # a run this long resets the backoff


def _cmdline(pid: int) -> tuple[str, ...] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return tuple(part.decode(errors="replace") for part in raw.split(b"\0") if part)


class ViewerSupervisor:
    kinds = frozenset({StepKind.VIEWER_START, StepKind.VIEWER_STOP})

    def __init__(self, argv: tuple[str, ...], pidfile: Path, grace: float = 3.0, *, stop_on_close: bool = True) -> None:
        self.argv = argv
        self.pidfile = pidfile
        self.grace = grace
        self.stop_on_close = stop_on_close
        self.restarts = 0
        self._pid: int | None = None
        self._pidfd: int | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._wanted = False
        self._backoff = _BACKOFF_START
        self._started_at = 0.0
        self._restart_timer: asyncio.TimerHandle | None = None
        self._exited = asyncio.Event()

    # --- observation ------------------------------------------------------------------

    async def observe(self) -> ViewerObservation:
        if self._pid is None:
            self._adopt()
        return ViewerObservation(running=self._pid is not None, pid=self._pid, restarts=self.restarts)

    def _adopt(self) -> None:
        """Take over a viewer an earlier modeswitch process started, if it still runs."""
        try:
            pid_text, _, argv_text = self.pidfile.read_text().partition("\n")
            pid = int(pid_text)
        except (OSError, ValueError):
            return
        if _cmdline(pid) != tuple(argv_text.split("\0")):
            self.pidfile.unlink(missing_ok=True)
            return
        with contextlib.suppress(ProcessLookupError):
            self._watch(pid, os.pidfd_open(pid))
            self._wanted = True
            self.argv = tuple(argv_text.split("\0"))  # a restart runs what was running
            self._started_at = time.monotonic()
            log.info("adopted running viewer pid %d", pid)

    # --- steps ------------------------------------------------------------------------

    async def apply(self, step: Step) -> None:
        if step.kind is StepKind.VIEWER_START:
            argv = step.args.get("argv")
            await self.start(tuple(argv) if argv else self.argv)
        elif step.kind is StepKind.VIEWER_STOP:
            await self.stop()
        else:
            raise BackendError(f"the viewer cannot apply {step.kind.value}")

    async def start(self, argv: tuple[str, ...]) -> None:
        self.argv = argv
        self._wanted = True
        self._backoff = _BACKOFF_START
        if self._pid is None:
            await self._spawn()

    async def stop(self) -> None:
        self._wanted = False
        if self._restart_timer is not None:
            self._restart_timer.cancel()
            self._restart_timer = None
        pid, child = self._pid, self._process
        if pid is None:
            return
        self._signal(pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(self._exited.wait(), self.grace)
        except TimeoutError:
            log.warning("viewer pid %d ignored SIGTERM for %.1f s; killing it", pid, self.grace)
            self._signal(pid, signal.SIGKILL)
            await self._exited.wait()
        if child is not None:
            await child.wait()  # reaped before we return: no zombie even if we exit right after

    async def close(self) -> None:
        if self.stop_on_close:
            await self.stop()
        elif self._pidfd is not None:
            self._unwatch()

    # --- process handling ---------------------------------------------------------------

    async def _spawn(self) -> None:
        if shutil.which(self.argv[0]) is None:
            raise BackendError(
                f"'{self.argv[0]}' not found", "install Looking Glass or set looking_glass.argv in the mode"
            )
        try:
            # A viewer that outlives a one-shot CLI must not hold the CLI's stderr open: whoever
            # reads that (a script, `$(modeswitch desk 2>&1)`) would wait for the viewer to exit.
            process = await asyncio.create_subprocess_exec(
                *self.argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=None if self.stop_on_close else asyncio.subprocess.DEVNULL, start_new_session=True,
            )
        except OSError as exc:
            raise BackendError(f"cannot start {self.argv[0]}: {exc.strerror}") from None
        self._process = process
        self._started_at = time.monotonic()
        self.pidfile.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.pidfile.write_text(f"{process.pid}\n" + "\0".join(self.argv))
        self._watch(process.pid, os.pidfd_open(process.pid))
        log.info("started viewer pid %d: %s", process.pid, " ".join(self.argv))

    def _watch(self, pid: int, pidfd: int) -> None:
        self._pid, self._pidfd = pid, pidfd
        self._exited.clear()
        asyncio.get_running_loop().add_reader(pidfd, self._on_exit)

    def _unwatch(self) -> None:
        if self._pidfd is not None:
            asyncio.get_running_loop().remove_reader(self._pidfd)
            os.close(self._pidfd)
        self._pid = self._pidfd = None

    def _on_exit(self) -> None:
        pid = self._pid
        self._unwatch()
        if self._process is not None and self._process.pid == pid:
            self._process = None  # asyncio's child watcher reaps it; no zombie is left
        self.pidfile.unlink(missing_ok=True)
        self._exited.set()
        if self._wanted:
            self._schedule_restart(pid)

    def _schedule_restart(self, pid: int | None) -> None:
        if pid is not None and time.monotonic() - self._started_at > _HEALTHY_AFTER:
            self._backoff = _BACKOFF_START
        delay, self._backoff = self._backoff, min(self._backoff * 2, _BACKOFF_MAX)
        log.warning("viewer pid %s exited while wanted; restarting in %.1f s", pid, delay)
        loop = asyncio.get_running_loop()
        self._restart_timer = loop.call_later(delay, lambda: loop.create_task(self._restart()))

    async def _restart(self) -> None:
        self._restart_timer = None
        if not self._wanted or self._pid is not None:
            return
        self.restarts += 1
        try:
            await self._spawn()
        except BackendError as exc:
            log.error("viewer restart failed: %s", exc)
            self._schedule_restart(None)

    @staticmethod
    def _signal(pid: int, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signum)
