"""Where modeswitch keeps its socket, pid files and history (XDG base directories)."""

from __future__ import annotations

import os
from pathlib import Path

from modeswitch.runtime_dir import runtime_dir


def xdg_dir(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable)
    return Path(value) if value and os.path.isabs(value) else Path.home() / fallback


def default_config_path() -> Path:
    return xdg_dir("XDG_CONFIG_HOME", ".config") / "modeswitch" / "config.yaml"


class Paths:
    """The seat's files on the daemon's and the in-process path (the thin client needs only
    the socket: runtime_dir.py)."""

    def __init__(self, runtime: Path, state: Path) -> None:
        self.runtime = runtime  # control socket, viewer pid file, in-process lock
        self.state = state  # history

    @staticmethod
    def from_environment() -> Paths:
        return Paths(runtime=Path(runtime_dir()), state=xdg_dir("XDG_STATE_HOME", ".local/state") / "modeswitch")

    @property
    def socket(self) -> Path:
        return self.runtime / "control.sock"

    @property
    def lock(self) -> Path:
        return self.runtime / "transition.lock"

    @property
    def viewer_pidfile(self) -> Path:
        return self.runtime / "viewer.pid"

    @property
    def history(self) -> Path:
        return self.state / "history.jsonl"

    def ensure_runtime(self) -> None:
        """The runtime dir holds the control socket: owner-only, like $XDG_RUNTIME_DIR itself."""
        self.runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.runtime, 0o700)
