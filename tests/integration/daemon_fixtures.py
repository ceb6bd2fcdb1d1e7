"""Helpers for running the real `modeswitch daemon` and CLI as subprocesses in a private tree.

Every tree lives in a short temp dir (Unix socket paths are limited to 108 bytes), uses modes that
need no VM and no audio (a stand-in viewer `sleep 1000` and hooks that write files), and every
process started here is stopped by pid.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.waiting import wait_for

MODESWITCH = str(Path(sys.executable).with_name("modeswitch"))
PR_SET_CHILD_SUBREAPER = 36

CONFIG = "default_mode: desk\ntoggle: [desk, tv]\nlooking_glass:\n  grace: 1\n"
DESK = """\
name: desk
looking_glass:
  run: true
  argv: [sleep, "1000"]
hooks:
  after:
    - argv: [touch, {files}/desk]
      undo: [rm, -f, {files}/desk]
"""
TV = """\
name: tv
looking_glass: false
hooks:
  after:
    - argv: [touch, {files}/tv]
      undo: [rm, -f, {files}/tv]
"""




def proc_state(pid: int) -> str | None:
    """The process's state letter from /proc/PID/stat, None once it is gone (reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


@dataclass
class Tree:
    root: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def modes(self) -> Path:
        return self.root / "modes"

    @property
    def files(self) -> Path:
        return self.root / "files"

    @property
    def runtime(self) -> Path:
        return self.root / "run" / "modeswitch"

    @property
    def socket(self) -> Path:
        return self.runtime / "control.sock"

    @property
    def viewer_pidfile(self) -> Path:
        return self.runtime / "viewer.pid"

    @property
    def log(self) -> Path:
        return self.root / "daemon.log"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "JOURNAL_STREAM")}
        env.update(HOME=str(self.root / "home"), XDG_RUNTIME_DIR=str(self.root / "run"),
                   XDG_STATE_HOME=str(self.root / "state"), XDG_CONFIG_HOME=str(self.root / "home" / ".config"))
        env.update(extra)
        return env

    def write_mode(self, name: str, text: str) -> Path:
        path = self.modes / f"{name}.yaml"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(text.format(files=self.files))
        os.replace(temporary, path)
        return path

    def cli(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run([MODESWITCH, "--config", str(self.config), *args], capture_output=True, text=True,
                              env=self.env(), timeout=timeout, stdin=subprocess.DEVNULL)

    def start_daemon(self, wait: bool = True, **extra_env: str) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as log:
            proc = subprocess.Popen([MODESWITCH, "--config", str(self.config), "daemon"], stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=log, env=self.env(**extra_env))
        self.procs.append(proc)
        if wait:
            wait_for(lambda: proc.poll() is not None or self.answers(), "the daemon to answer")
            assert proc.poll() is None, self.log.read_text()
        return proc

    def answers(self) -> bool:
        try:
            return bool(request(self.socket, {"verb": "ping"}, timeout=2.0).get("ok"))
        except OSError:
            return False

    def viewer_pid(self) -> int | None:
        try:
            return int(self.viewer_pidfile.read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def stop(self, proc: subprocess.Popen[bytes]) -> int:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError("the daemon did not stop on SIGTERM") from None

    def cleanup(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        pid = self.viewer_pid()
        if pid is not None and proc_state(pid) is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            reap(pid)
        shutil.rmtree(self.root, ignore_errors=True)


def make_tree() -> Tree:
    root = Path(tempfile.mkdtemp(prefix="ms-"))
    tree = Tree(root)
    for directory in (tree.modes, tree.files, root / "home", root / "run", root / "state"):
        directory.mkdir(parents=True)
    tree.config.write_text(CONFIG)
    tree.write_mode("desk", DESK)
    tree.write_mode("tv", TV)
    return tree


@contextlib.contextmanager
def tree_with_daemon(**extra_env: str) -> Iterator[tuple[Tree, subprocess.Popen[bytes]]]:
    tree = make_tree()
    try:
        yield tree, tree.start_daemon(**extra_env)
    finally:
        tree.cleanup()


# --- raw socket ----------------------------------------------------------------------------------

def send_raw(path: Path, data: bytes, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Send bytes, read reply lines until the daemon closes or goes quiet after the expected count."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return [json.loads(line) for line in b"".join(chunks).splitlines()]


def request(path: Path, message: dict[str, Any], timeout: float = 60.0) -> dict[str, Any]:
    replies = send_raw(path, json.dumps({"v": 1, **message}).encode() + b"\n", timeout)
    assert len(replies) == 1, replies
    return replies[0]


# --- orphans -------------------------------------------------------------------------------------

@contextlib.contextmanager
def subreaper() -> Iterator[None]:
    """Orphans of the processes we start (a viewer left by the one-shot CLI) come to us to be reaped:
    PID 1 on these machines does not reap."""
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    try:
        yield
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
