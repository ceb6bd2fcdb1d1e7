"""Looking at a tree's seat from outside after a crash: its processes, found through /proc."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

from daemon_fixtures import Tree, proc_state, reap


def tree_processes(tree: Tree, cmdline: tuple[str, ...] | None = None) -> list[int]:
    """Live processes running `cmdline` (any, if None) that were started under this tree's runtime
    dir (they inherited its XDG_RUNTIME_DIR); other trees' processes on the machine are not counted."""
    wanted = b"\0".join(part.encode() for part in cmdline) + b"\0" if cmdline else None
    runtime = f"XDG_RUNTIME_DIR={tree.root / 'run'}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if wanted is not None and (entry / "cmdline").read_bytes() != wanted:
                continue
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if runtime in environ and proc_state(int(entry.name)) not in (None, "Z"):
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    return proc_state(pid) not in (None, "Z")


def read_pid(path: Path) -> int:
    return int(path.read_text().split()[0])


def read_pids(path: Path) -> list[int]:
    try:
        return [int(word) for word in path.read_text().split()]
    except OSError:
        return []


def end_tree(tree: Tree) -> None:
    """Whatever a failed test left running under this tree (daemons, hooks, their children)."""
    kill_and_reap(tree_processes(tree))
    tree.cleanup()


def kill_and_reap(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        reap(pid)
