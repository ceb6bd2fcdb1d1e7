"""A private session bus (dbus-daemon) with a real notification server on it: dunst, drawing
on a dummy Xorg. `dunstctl history` (after close-all) tells exactly what it was shown.

dunst is the server because it runs on any X display without a desktop session and can be
asked what it received; notification-daemon and xfce4-notifyd have no such query.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from xorg_fixtures import DummyXorg

GUARD = 30.0


def _stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class NotificationServer:
    """`with NotificationServer() as server:` → server.address (DBUS_SESSION_BUS_ADDRESS)."""

    def __init__(self) -> None:
        self.address = ""
        self._xorg = DummyXorg()
        self._bus: subprocess.Popen[str] | None = None
        self._dunst: subprocess.Popen[bytes] | None = None
        self._home = Path(tempfile.mkdtemp(prefix="msn-"))

    def env(self) -> dict[str, str]:
        return {**os.environ, "DBUS_SESSION_BUS_ADDRESS": self.address, "DISPLAY": self._xorg.display,
                "HOME": str(self._home), "XDG_CONFIG_HOME": str(self._home / ".config")}

    def __enter__(self) -> NotificationServer:
        try:
            self._xorg.__enter__()
            self._bus = subprocess.Popen(["dbus-daemon", "--session", "--print-address=1", "--nofork", "--nopidfile"],
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            assert self._bus.stdout is not None
            self.address = self._bus.stdout.readline().strip()  # printed once it listens
            assert self.address.startswith("unix:"), self.address
            with (self._home / "dunst.log").open("wb") as log:
                self._dunst = subprocess.Popen(["dunst"], env=self.env(), stdin=subprocess.DEVNULL, stdout=log,
                                               stderr=log)
            self._wait(lambda: self._ctl("is-paused").returncode == 0, "dunst to own the Notifications name")
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for proc in (self._dunst, self._bus):
            if proc is not None:
                _stop(proc)
        self._xorg.__exit__(None, None, None)
        shutil.rmtree(self._home, ignore_errors=True)

    def _ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["dunstctl", *args], env=self.env(), capture_output=True, text=True, timeout=GUARD)

    def _wait(self, check: Any, what: str) -> None:
        deadline = time.monotonic() + GUARD
        while not check():
            assert self._dunst is None or self._dunst.poll() is None, (self._home / "dunst.log").read_text()
            assert time.monotonic() < deadline, f"gave up waiting for {what}"
            time.sleep(0.05)

    def received(self) -> list[dict[str, str]]:
        """Everything shown so far, oldest first: close what is on screen, then read history."""
        self._ctl("close-all")
        data = json.loads(self._ctl("history").stdout or '{"data": [[]]}')["data"][0]
        items = [{key: str(value["data"]) for key, value in item.items()} for item in data]
        return sorted(items, key=lambda item: int(item["id"]))

    def wait_for(self, summary: str) -> list[dict[str, str]]:
        seen: list[dict[str, str]] = []

        def arrived() -> bool:
            seen[:] = self.received()
            return any(item["summary"] == summary for item in seen)

        self._wait(arrived, f"a notification '{summary}'")
        return seen
