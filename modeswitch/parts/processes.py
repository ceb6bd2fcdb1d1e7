"""The processes modeswitch starts (hooks, the viewer): spawned so they can always be found again.

A daemon killed with SIGKILL runs no cleanup, so nothing that only lives in its memory can end
what it started. Every child therefore carries two environment variables that its own children
inherit: MODESWITCH_OWNER (the seat's runtime dir: which daemon family it belongs to) and
MODESWITCH_RUN (which run: a hook run id, or "viewer"). /proc/PID/environ shows them to a later
process of the same user, so a restarted daemon finds a hook's whole tree, also the parts that
left the process group with setsid, and a viewer whose pidfile was never written.

A hook's run is also recorded on disk before it is spawned (runtime dir, one small file each,
written atomically) together with the pid and start time of the process that spawned it. A
record whose spawner is gone marks processes nobody enforces a timeout on any more: they are
ended. A hook that finished normally leaves no record, so what it put in the background on
purpose is never touched. On top of that the hook's leader gets PR_SET_PDEATHSIG through
util-linux `setpriv` (an exec wrapper: no preexec code in a threaded daemon), so it dies with the
daemon at once instead of waiting for the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import select
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

OWNER_VAR = "MODESWITCH_OWNER"
RUN_VAR = "MODESWITCH_RUN"
VIEWER_RUN = "viewer"
PROC = Path("/proc")


def environ_of(pid: int, proc: Path = PROC) -> dict[str, str]:
    """A process's environment; empty for a zombie, a process that is gone or not ours."""
    try:
        raw = (proc / str(pid) / "environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.partition(b"=") for item in raw.split(b"\0") if item)
    return {key.decode(errors="replace"): value.decode(errors="replace") for key, _, value in pairs}


def start_time(pid: int, proc: Path = PROC) -> int | None:
    """Clock ticks after boot the process started: tells a pid apart from a later reuse of it."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[19]) if fields[0] != "Z" else None


def session_of(pid: int, proc: Path = PROC) -> int | None:
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[3])


def find(owner: str, run: str, proc: Path = PROC) -> list[int]:
    """Live processes carrying this owner and run marker, in pid order."""
    uid = os.getuid()
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if uid != 0 and entry.stat().st_uid != uid:
                continue
        env = environ_of(int(entry.name), proc)
        if env.get(OWNER_VAR) == owner and env.get(RUN_VAR) == run:
            found.append(int(entry.name))
    return sorted(found)


def marked(pid: int, owner: str, run: str, proc: Path = PROC) -> bool:
    env = environ_of(pid, proc)
    return env.get(OWNER_VAR) == owner and env.get(RUN_VAR) == run


def kill_marked(owner: str, run: str, proc: Path = PROC, wait: float = 2.0) -> int:
    """SIGKILL every process of one run, whatever group or session it moved to, and wait (up
    to `wait` s) until they have exited, so "ended" means gone; how many.

    The marker is checked again through a pidfd, so a pid reused meanwhile is never hit, and
    the scan repeats for a process that forked while the previous pass ran."""
    pidfds: dict[int, int] = {}
    try:
        for _ in range(5):
            pids = [pid for pid in find(owner, run, proc) if pid not in pidfds]
            if not pids:
                break
            for pid in pids:
                pidfd = _signal_marked(pid, owner, run, signal.SIGKILL, proc)
                if pidfd is not None:
                    pidfds[pid] = pidfd
        _wait_all(list(pidfds.values()), wait)
    finally:
        for pidfd in pidfds.values():
            os.close(pidfd)
    return len(pidfds)


def _signal_marked(pid: int, owner: str, run: str, signum: int, proc: Path = PROC) -> int | None:
    """Signal `pid` only if it still carries the marker; its open pidfd if it was signalled."""
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return None
    try:
        if marked(pid, owner, run, proc):
            signal.pidfd_send_signal(pidfd, signum)
            return pidfd
    except ProcessLookupError:
        pass
    os.close(pidfd)
    return None


def _wait_all(pidfds: list[int], timeout: float) -> None:
    """A pidfd turns readable when its process exits (a zombie counts)."""
    poller = select.poll()
    for pidfd in pidfds:
        poller.register(pidfd, select.POLLIN)
    deadline = time.monotonic() + timeout
    pending = set(pidfds)
    while pending and (left := deadline - time.monotonic()) > 0:
        for pidfd, _ in poller.poll(left * 1000):
            pending.discard(pidfd)
            poller.unregister(pidfd)


def kill_group(pgid: int, signum: int = signal.SIGKILL) -> None:
    """The one place a process group is signalled: a group that is gone already is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


async def wait_exit(pidfd: int, timeout: float) -> bool:
    """True once the process behind pidfd has exited (zombie or reaped), False on timeout."""
    loop = asyncio.get_running_loop()
    exited = asyncio.Event()
    loop.add_reader(pidfd, exited.set)
    try:
        await asyncio.wait_for(exited.wait(), timeout)
        return True
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(pidfd)


async def terminate(pid: int, owner: str, run: str, grace: float, proc: Path = PROC) -> None:
    """SIGTERM the marked process's group, SIGKILL it after `grace`: for a viewer nobody wants."""
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return
    try:
        if not marked(pid, owner, run, proc):
            return
        kill_group(pid, signal.SIGTERM)
        if not await wait_exit(pidfd, grace):
            log.warning("pid %d ignored SIGTERM for %.1f s; killing it", pid, grace)
            kill_group(pid, signal.SIGKILL)
            await wait_exit(pidfd, grace)
    finally:
        os.close(pidfd)


def child_env(base: dict[str, str], owner: str, run: str) -> dict[str, str]:
    return {**base, OWNER_VAR: owner, RUN_VAR: run}


def die_with_parent(argv: tuple[str, ...], env: dict[str, str]) -> tuple[str, ...]:
    """argv run under `setpriv --pdeathsig KILL`: the kernel kills it when its spawner dies.

    The program is looked up here, so a missing one is still an OSError of our own spawn and
    not an exit status of the wrapper. Without util-linux's setpriv the records still let the
    next daemon end the process."""
    executable(argv[0], env.get("PATH", os.defpath))
    setpriv = shutil.which("setpriv")
    return (setpriv, "--pdeathsig", "KILL", "--", *argv) if setpriv else argv


def executable(name: str, search: str) -> str:
    """The file exec would run for `name`, or the OSError exec would raise."""
    if "/" in name:
        candidates = [name]
    else:
        candidates = [os.path.join(directory or ".", name) for directory in search.split(os.pathsep)]
    denied = False
    for candidate in candidates:
        if os.path.isfile(candidate):
            if os.access(candidate, os.X_OK):
                return candidate
            denied = True
    errno_ = 13 if denied else 2
    raise OSError(errno_, os.strerror(errno_), name)


@dataclass(frozen=True)
class Run:
    id: str
    record: Path


class RunRecords:
    """One file per running hook under the runtime dir: written before the spawn, removed after."""

    def __init__(self, directory: Path, owner: str, proc: Path = PROC) -> None:
        self.directory = directory
        self.owner = owner
        self.proc = proc

    def begin(self, what: str) -> Run:
        run_id = f"hook-{secrets.token_hex(8)}"
        run = Run(run_id, self.directory / f"{run_id}.json")
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        spawner = os.getpid()
        data = {"run": run.id, "what": what, "spawner": spawner, "spawner_start": start_time(spawner, self.proc)}
        temporary = run.record.with_suffix(".tmp")
        temporary.write_text(json.dumps(data))
        os.replace(temporary, run.record)
        return run

    def finish(self, run: Run, *, kill: bool) -> None:
        """Remove the record; with `kill`, end every process of the run first (timeout, cancel)."""
        if kill:
            kill_marked(self.owner, run.id, proc=self.proc)
        run.record.unlink(missing_ok=True)

    def end_leftovers(self) -> list[str]:
        """End the runs of spawners that died without finishing them; their descriptions."""
        ended = []
        for record in sorted(self.directory.glob("hook-*.json")):
            data = _read_record(record)
            if data is not None and self._spawner_alive(data):
                continue
            run = str(data.get("run", "")) if data else ""
            killed = kill_marked(self.owner, run, proc=self.proc) if run else 0
            what = str(data.get("what", run)) if data else record.name
            log.warning("ended %d leftover process(es) of %s, started by a modeswitch that died", killed, what)
            ended.append(what)
            record.unlink(missing_ok=True)
        return ended

    def _spawner_alive(self, data: dict[str, Any]) -> bool:
        pid, started = data.get("spawner"), data.get("spawner_start")
        return isinstance(pid, int) and started is not None and start_time(pid, self.proc) == started


def _read_record(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
