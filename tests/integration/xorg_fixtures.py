"""A real Xorg on the dummy driver with two monitors (DUMMY0 desk, DUMMY1 "TV"), for the
display backend's tests.

The display number is reserved the way X servers and xvfb-run do it, by creating
/tmp/.X<N>-lock exclusively, because Xorg started with -displayfd takes no lock of its own.
-displayfd is still used: Xorg writes the number to it once it accepts clients, so readiness
needs no polling. Xorg is stopped by its pid; it removes its socket on a clean exit, and we
remove the lock we made, the socket only if Xorg had to be killed, and /tmp/.X11-unix if we
created it and it is empty — nothing else.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

CONFIG = Path(__file__).resolve().parents[1] / "fixtures" / "xorg" / "dummy-two-monitors.conf"
SOCKET_DIR = Path("/tmp/.X11-unix")
NUMBERS = range(20, 200)  # clear of the :0/:1 a real desktop uses
START_TIMEOUT = 30.0  # guards against a hang; Xorg is ready in well under a second here
STOP_TIMEOUT = 10.0
SOCKET_TAKEN = "Cannot establish any listening sockets"


def _lock(number: int) -> Path:
    return Path(f"/tmp/.X{number}-lock")


class DummyXorg:
    """`with DummyXorg() as x:` runs Xorg; `x.display` is the DISPLAY string (":N")."""

    def __init__(self, config: Path = CONFIG) -> None:
        self.config = config
        self.display = ""
        self.number: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self._made_socket_dir = False

    def __enter__(self) -> DummyXorg:
        self._workdir = tempfile.TemporaryDirectory(prefix="modeswitch-xorg-")
        self._made_socket_dir = not SOCKET_DIR.exists()
        try:
            for number in NUMBERS:
                if self._reserve(number) and self._start(number):
                    self.display = f":{number}"
                    return self
            raise RuntimeError(f"no free X display number in {NUMBERS}")
        except BaseException:
            self.stop()
            raise

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def log(self) -> str:
        path = Path(self._workdir.name) / "Xorg.log" if self._workdir is not None else None
        return path.read_text(errors="replace") if path is not None and path.exists() else ""

    def _reserve(self, number: int) -> bool:
        """Take /tmp/.X<N>-lock atomically; a number someone else holds is skipped."""
        if (SOCKET_DIR / f"X{number}").exists():
            return False
        try:
            fd = os.open(_lock(number), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as lock:
            lock.write(f"{os.getpid():10d}\n")
        self.number = number
        return True

    def _start(self, number: int) -> bool:
        """Run Xorg on the reserved number; False (lock released) if its socket was taken."""
        assert self._workdir is not None
        read_end, write_end = os.pipe()
        try:
            try:
                self._process = subprocess.Popen(
                    [_xorg(), f":{number}", "-displayfd", str(write_end), "-config", str(self.config),
                     "-noreset", "-nolisten", "tcp", "-logfile", str(Path(self._workdir.name) / "Xorg.log")],
                    pass_fds=(write_end,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL, cwd=self._workdir.name, start_new_session=True,
                )
            finally:
                os.close(write_end)  # Xorg holds its copy; EOF on ours then means it died
            _lock(number).write_text(f"{self._process.pid:10d}\n")
            if self._wait_ready(read_end):
                return True
        finally:
            os.close(read_end)
        if SOCKET_TAKEN not in self.log():
            raise RuntimeError(f"Xorg did not become ready:\n{self.log()[-3000:]}")
        self.stop_server()
        return False

    @staticmethod
    def _wait_ready(fd: int) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        data = b""
        while not data.endswith(b"\n"):
            ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
            chunk = os.read(fd, 64) if ready else b""
            if not chunk:
                return False
            data += chunk
        return True

    def stop(self) -> None:
        """Stop our Xorg and remove what it and we left; then the log directory."""
        self.stop_server()
        if self._made_socket_dir:
            with contextlib.suppress(OSError):
                SOCKET_DIR.rmdir()  # only when empty: another X server may have moved in
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def stop_server(self) -> None:
        """Terminate our Xorg by pid; its socket is removed here only if it had to be killed."""
        process, self._process = self._process, None
        killed = False
        if process is not None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                killed = True
        number, self.number = self.number, None
        if number is not None:
            if killed:
                (SOCKET_DIR / f"X{number}").unlink(missing_ok=True)
            _lock(number).unlink(missing_ok=True)


def _xorg() -> str:
    path = shutil.which("Xorg")
    if path is None:
        raise RuntimeError("Xorg not found: install xserver-xorg-core and xserver-xorg-video-dummy")
    return path
