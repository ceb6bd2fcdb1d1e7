"""Config reload on file change: watchdog events on the config file and the modes dirs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

log = logging.getLogger(__name__)


class _Relevant(FileSystemEventHandler):
    def __init__(self, files: set[Path], dirs: set[Path], callback: Callable[[], None]) -> None:
        self.files, self.dirs, self.callback = files, dirs, callback

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if not raw:
                continue
            path = Path(raw if isinstance(raw, str) else raw.decode())
            if path in self.files or (path.parent in self.dirs and path.suffix in (".yaml", ".yml")):
                self.callback()
                return


class ConfigWatcher:
    """Calls `callback` (from a watchdog thread) when the config or a mode file changes."""

    def __init__(self, paths: list[Path], callback: Callable[[], None]) -> None:
        self.paths = paths
        self.callback = callback
        self._observer: Observer | None = None  # type: ignore[valid-type]

    def start(self) -> None:
        files = {p for p in self.paths if not p.is_dir()}
        dirs = {p for p in self.paths if p.is_dir()}
        watched = {p.parent for p in files if p.parent.is_dir()} | dirs
        if not watched:
            return
        observer = Observer()
        handler = _Relevant(files, dirs, self.callback)
        for directory in watched:
            observer.schedule(handler, str(directory), recursive=False)
        observer.daemon = True
        observer.start()
        self._observer = observer

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
