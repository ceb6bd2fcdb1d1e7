"""Looking Glass supervisor: runs the viewer while the mode wants it, never leaves a zombie.

The viewer is started in its own session so it can outlive a one-shot CLI, and its pid is
recorded beside the control socket (atomically, before anything else can happen); a later
daemon adopts it after checking /proc, so the state is read from the world, not remembered.
A process killed between the spawn and that record leaves a viewer without one: every viewer
also carries the seat's marker in its environment (processes.py), and the first observation
looks for marked viewers, adopts one and ends any other, so there are never two. Exit is
noticed through a pidfd on the event loop (no polling), and a viewer that dies while wanted
is restarted with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

from modeswitch.errors import BackendError
from modeswitch.model import Step, StepKind
from modeswitch.parts.processes import VIEWER_RUN, child_env, find, kill_group, session_of, terminate
from modeswitch.parts.viewer.spec import ViewerObservation

if TYPE_CHECKING:
    from modeswitch.config.loader import Config

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

    def __init__(self, argv: tuple[str, ...], pidfile: Path, grace: float = 3.0, *, stop_on_close: bool = True,
                 owner: str | None = None) -> None:
        self.argv = argv
        self.pidfile = pidfile
        self.owner = owner if owner is not None else str(pidfile.parent)  # the seat's runtime dir
        self._searched = False
        self.grace = grace
        self.stop_on_close = stop_on_close
        self.restarts = 0
        self._pid: int | None = None
        self._pidfd: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._wanted = False
        self._backoff = _BACKOFF_START
        self._started_at = 0.0
        self._restart_timer: asyncio.TimerHandle | None = None
        self._exited = asyncio.Event()

    def reconfigure(self, config: Config) -> None:
        """A reload keeps the running viewer; only how long it gets to exit changes."""
        self.grace = config.viewer_grace

    # --- observation ------------------------------------------------------------------

    async def observe(self) -> ViewerObservation:
        if self._pid is None:
            self._adopt_recorded()
        if not self._searched:
            self._searched = True
            await self._adopt_marked()
        return ViewerObservation(running=self._pid is not None, pid=self._pid, restarts=self.restarts)

    def _adopt_recorded(self) -> None:
        """Take over the viewer the pidfile names, if it still runs what the file says."""
        try:
            pid_text, _, argv_text = self.pidfile.read_text().partition("\n")
            pid = int(pid_text)
        except (OSError, ValueError):
            return
        if _cmdline(pid) != tuple(argv_text.split("\0")):
            self.pidfile.unlink(missing_ok=True)
            return
        self._adopt(pid)

    async def _adopt_marked(self) -> None:
        """Viewers of this seat found by their marker: one is adopted (if none was), others end.

        This is what finds a viewer whose pidfile its killed starter never wrote."""
        leaders = [pid for pid in find(self.owner, VIEWER_RUN) if session_of(pid) == pid]
        for pid in leaders:
            if self._pid is None:
                self._adopt(pid)
                if self._pid == pid:
                    self._record(pid, self.argv)
                    continue
            if pid != self._pid:
                log.warning("ending a second viewer pid %d of this seat", pid)
                await terminate(pid, self.owner, VIEWER_RUN, self.grace)

    def _adopt(self, pid: int) -> None:
        argv = _cmdline(pid)
        if not argv:
            return
        with contextlib.suppress(ProcessLookupError):
            self._watch(pid, os.pidfd_open(pid))
            self._wanted = True
            self.argv = argv  # a restart runs what was running
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
        kill_group(pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(self._exited.wait(), self.grace)
        except TimeoutError:
            log.warning("viewer pid %d ignored SIGTERM for %.1f s; killing it", pid, self.grace)
            kill_group(pid, signal.SIGKILL)
            await self._exited.wait()
        if child is not None:
            child.wait()  # exited (its pidfd said so): reaped before we return, no zombie

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
            # subprocess, not asyncio's: from Python 3.12 on, asyncio kills a child whose
            # transport is collected while it runs, i.e. the viewer when the one-shot CLI exits.
            process = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=None if self.stop_on_close else subprocess.DEVNULL, start_new_session=True,
                env=child_env(dict(os.environ), self.owner, VIEWER_RUN),
            )
        except OSError as exc:
            raise BackendError(f"cannot start {self.argv[0]}: {exc.strerror}") from None
        self._record(process.pid, self.argv)  # first: nothing may come between the spawn and this
        self._process = process
        self._started_at = time.monotonic()
        self._watch(process.pid, os.pidfd_open(process.pid))
        log.info("started viewer pid %d: %s", process.pid, " ".join(self.argv))

    def _record(self, pid: int, argv: tuple[str, ...]) -> None:
        """Write the pidfile whole or not at all: a crash never leaves half a record."""
        self.pidfile.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.pidfile.with_name(f".{self.pidfile.name}.{pid}")
        temporary.write_text(f"{pid}\n" + "\0".join(argv))
        os.replace(temporary, self.pidfile)

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
            self._process.poll()  # it has exited: reap it now, no zombie is left
            self._process = None
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
