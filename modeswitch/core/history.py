"""One JSON line per transition under $XDG_STATE_HOME/modeswitch/, for `modeswitch history`."""

from __future__ import annotations

import json
import os
from collections import deque
from pathlib import Path
from typing import Any

# Keep the file bounded without a rotation daemon: trim to the newest lines when it grows.
_MAX_BYTES = 2 * 1024 * 1024
_KEEP_LINES = 2000


class HistoryLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, record: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
        if self.path.stat().st_size > _MAX_BYTES:
            self._trim()

    def tail(self, count: int) -> list[dict[str, Any]]:
        """The newest `count` records, oldest first; unreadable lines are skipped, not fatal."""
        try:
            with self.path.open(encoding="utf-8") as handle:
                lines = deque(handle, maxlen=max(count, 0))
        except FileNotFoundError:
            return []
        records = []
        for line in lines:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return records

    def _trim(self) -> None:
        keep = self.path.read_text(encoding="utf-8").splitlines(keepends=True)[-_KEEP_LINES:]
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text("".join(keep), encoding="utf-8")
        os.replace(temporary, self.path)


class InFlight:
    """The transition in progress, on disk: if the process dies mid-switch, the next daemon
    finds the marker and can put the seat back into the mode it was leaving."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def begin(self, target: str, previous: str | None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"target": target, "previous": previous, "pid": os.getpid()}))
        os.replace(temporary, self.path)

    def end(self) -> None:
        self.path.unlink(missing_ok=True)

    def take_interrupted(self) -> dict[str, Any] | None:
        """The marker a dead process left, removed as it is read; None if there is none."""
        try:
            marker = json.loads(self.path.read_text())
        except (OSError, json.JSONDecodeError):
            self.path.unlink(missing_ok=True)
            return None
        self.path.unlink(missing_ok=True)
        return marker if isinstance(marker, dict) else None
