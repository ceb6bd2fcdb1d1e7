"""Real headless Wayland compositors for the display backends' tests and benchmark.

HeadlessSway: sway 1.7 on wlroots' headless backend (no GPU, no input devices, pixman
renderer, no Xwayland), outputs added with `swaymsg create_output`. sway refuses to run as
root ("Unable to drop root"), so under root it runs as the unprivileged test user.
HeadlessMutter: `mutter --headless` with virtual monitors, on a private dbus-daemon session
bus, so the test never touches a desktop's bus.
Both are stopped by pid, and their temporary directories removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

START_TIMEOUT = 30.0  # a guard against a hang, not a speed expectation
STOP_TIMEOUT = 10.0
TEST_USER = "modeswitch-test"  # created by scripts/bootstrap


def _program(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} not found: install {package} (scripts/bootstrap does)")
    return path


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        if process is not None:
            process.wait()
        return
    process.terminate()
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_for(check: Callable[[], bool], what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start:\n{log.read_text(errors='replace')[-3000:]}")


class HeadlessSway:
    """`with HeadlessSway(outputs=2) as sway:` → sway.socket is its IPC socket ($SWAYSOCK)."""

    def __init__(self, outputs: int = 2) -> None:
        self.outputs = outputs
        self.socket = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> HeadlessSway:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _start(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="ms-sway-")
        root = Path(self._dir.name)
        (root / "config").write_text("xwayland disable\n")
        argv = [_program("sway", "sway"), "-c", str(root / "config")]
        if os.geteuid() == 0:
            user = pwd.getpwnam(TEST_USER)
            os.chown(root, user.pw_uid, user.pw_gid)
            argv = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", *argv]
        os.chmod(root, 0o700)
        env = {"PATH": os.environ["PATH"], "HOME": str(root), "XDG_RUNTIME_DIR": str(root),
               "WLR_BACKENDS": "headless", "WLR_LIBINPUT_NO_DEVICES": "1", "WLR_RENDERER": "pixman"}
        with open(root / "log", "wb") as log:
            self._process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                             start_new_session=True)
        sockets = lambda: sorted(root.glob("sway-ipc.*.sock"))  # noqa: E731
        _wait_for(lambda: bool(sockets()) and self.ask_ok("-t", "get_version"), "sway", root / "log")
        self.socket = str(sockets()[0])
        for _ in range(self.outputs - 1):
            self.swaymsg("create_output")

    def ask_ok(self, *args: str) -> bool:
        socket = next(iter(sorted(Path(self._dir.name).glob("sway-ipc.*.sock"))), None) if self._dir else None
        return socket is not None and subprocess.run(["swaymsg", "-s", str(socket), *args],
                                                     capture_output=True).returncode == 0

    def swaymsg(self, *args: str) -> str:
        """swaymsg's raw JSON answer: the independent view the tests compare against."""
        return subprocess.run(["swaymsg", "-r", "-s", self.socket, *args], capture_output=True, text=True,
                              check=True).stdout

    def stop(self) -> None:
        process, self._process = self._process, None
        _stop(process)
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class PrivateBus:
    """A dbus-daemon session bus on a socket in `directory`; `address` is its address."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.address = f"unix:path={directory / 'bus'}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        (self.directory / "bus.conf").write_text(_BUS_CONFIG.format(socket=self.directory / "bus"))
        with open(self.directory / "bus.log", "wb") as log:
            self._process = subprocess.Popen(
                [_program("dbus-daemon", "dbus-daemon"), f"--config-file={self.directory / 'bus.conf'}", "--nofork",
                 "--nopidfile"], stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        _wait_for(lambda: (self.directory / "bus").exists(), "dbus-daemon", self.directory / "bus.log")

    def stop(self) -> None:
        process, self._process = self._process, None
        _stop(process)


class HeadlessKwin:
    """`with HeadlessKwin(outputs=2) as kde:` → KWin on its virtual backend (Virtual-0, …), and
    kde.env, the session environment kscreen-doctor needs.

    kwin_wayland carries a file capability (cap_sys_resource) that a container may refuse to
    exec ("Operation not permitted"); a private copy without it runs the same program."""

    def __init__(self, outputs: int = 2, size: tuple[int, int] = (1920, 1080)) -> None:
        self.outputs = outputs
        self.size = size
        self.env: dict[str, str] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._bus: PrivateBus | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> HeadlessKwin:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _start(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="ms-kwin-")
        root = Path(self._dir.name)
        os.chmod(root, 0o700)
        self._bus = PrivateBus(root)
        self._bus.start()
        kwin = root / "kwin_wayland"
        shutil.copy(_program("kwin_wayland", "kwin-wayland"), kwin)
        self.env = {"PATH": os.environ["PATH"], "HOME": str(root), "XDG_RUNTIME_DIR": str(root),
                    "DBUS_SESSION_BUS_ADDRESS": self._bus.address, "WAYLAND_DISPLAY": "wl-ms",
                    "XDG_CURRENT_DESKTOP": "KDE", "XDG_SESSION_TYPE": "wayland"}
        argv = [str(kwin), "--virtual", "--width", str(self.size[0]), "--height", str(self.size[1]),
                "--output-count", str(self.outputs), "--socket", "wl-ms"]
        with open(root / "kwin.log", "wb") as log:
            self._process = subprocess.Popen(argv, env={**self.env, "QT_QPA_PLATFORM": "offscreen"},
                                             stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        _wait_for(lambda: (root / "wl-ms").exists() and self._outputs() == self.outputs, "kwin", root / "kwin.log")

    def _outputs(self) -> int:
        return len(self.doctor().get("outputs", [])) if self._process and self._process.poll() is None else -1

    def doctor(self) -> dict[str, Any]:
        """`kscreen-doctor -j`: the independent view the tests compare against."""
        done = subprocess.run(["kscreen-doctor", "-j"], env={**self.env, "QT_QPA_PLATFORM": "wayland"},
                              capture_output=True, text=True)
        return json.loads(done.stdout) if done.returncode == 0 and done.stdout.strip() else {}

    def stop(self) -> None:
        process, self._process = self._process, None
        _stop(process)
        if self._bus is not None:
            self._bus.stop()
            self._bus = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


class HeadlessMutter:
    """`with HeadlessMutter(["1920x1080", "1280x720"]) as gnome:` → gnome.bus is the session bus
    address on which Mutter (monitors Meta-0, Meta-1, …) serves org.gnome.Mutter.DisplayConfig."""

    def __init__(self, monitors: list[str]) -> None:
        self.monitors = monitors
        self.bus = ""
        self._bus: subprocess.Popen[bytes] | None = None
        self._mutter: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> HeadlessMutter:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _start(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="ms-mutter-")
        root = Path(self._dir.name)
        os.chmod(root, 0o700)
        (root / "bus.conf").write_text(_BUS_CONFIG.format(socket=root / "bus"))
        self.bus = f"unix:path={root / 'bus'}"
        with open(root / "bus.log", "wb") as log:
            self._bus = subprocess.Popen([_program("dbus-daemon", "dbus-daemon"), f"--config-file={root / 'bus.conf'}",
                                          "--nofork", "--nopidfile"], stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=log, start_new_session=True)
        _wait_for(lambda: (root / "bus").exists(), "dbus-daemon", root / "bus.log")
        env = {"PATH": os.environ["PATH"], "HOME": str(root), "XDG_RUNTIME_DIR": str(root),
               "DBUS_SESSION_BUS_ADDRESS": self.bus}
        argv = [_program("mutter", "mutter"), "--headless", "--wayland", "--no-x11"]
        for size in self.monitors:
            argv += ["--virtual-monitor", size]
        with open(root / "mutter.log", "wb") as log:
            self._mutter = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            start_new_session=True)
        _wait_for(self._answers, "mutter", root / "mutter.log")

    def _answers(self) -> bool:
        return self._mutter is not None and self._mutter.poll() is None and self.gdbus_state(check=False) != ""

    def gdbus_state(self, *, check: bool = True) -> str:
        """GetCurrentState through gdbus: the independent view the tests compare against."""
        done = subprocess.run(
            ["gdbus", "call", "--address", self.bus, "-d", "org.gnome.Mutter.DisplayConfig",
             "-o", "/org/gnome/Mutter/DisplayConfig", "-m", "org.gnome.Mutter.DisplayConfig.GetCurrentState"],
            capture_output=True, text=True, check=check)
        return done.stdout if done.returncode == 0 else ""

    def stop(self) -> None:
        for attribute in ("_mutter", "_bus"):
            process = getattr(self, attribute)
            setattr(self, attribute, None)
            with contextlib.suppress(OSError):
                _stop(process)
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


class HeadlessWlroots:
    """`with HeadlessWlroots("labwc", outputs=2) as wl:` → a wlroots compositor (labwc, sway …)
    on wlroots' headless backend with HEADLESS-1…N, and wl.env: the session environment a
    client needs (WAYLAND_DISPLAY, XDG_RUNTIME_DIR). Like sway, run as the test user under root.
    `wl.randr()` is wlr-randr's JSON view (wlr-randr ≥ 0.3), the independent reader."""

    def __init__(self, program: str, outputs: int = 2) -> None:
        self.program = program
        self.outputs = outputs
        self.env: dict[str, str] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> HeadlessWlroots:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _start(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix=f"ms-{self.program}-")
        root = Path(self._dir.name)
        (root / "config").write_text("xwayland disable\n")
        argv = [_program(self.program, self.program)]
        argv += ["-c", str(root / "config")] if self.program == "sway" else ["-C", str(root)]
        if os.geteuid() == 0:
            user = pwd.getpwnam(TEST_USER)
            os.chown(root, user.pw_uid, user.pw_gid)
            argv = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", *argv]
        os.chmod(root, 0o700)
        self.env = {"PATH": os.environ["PATH"], "HOME": str(root), "XDG_RUNTIME_DIR": str(root)}
        env = {**self.env, "WLR_BACKENDS": "headless", "WLR_HEADLESS_OUTPUTS": str(self.outputs),
               "WLR_LIBINPUT_NO_DEVICES": "1", "WLR_RENDERER": "pixman", "WLR_XWAYLAND": ""}
        with open(root / "log", "wb") as log:
            self._process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                             start_new_session=True)
        _wait_for(lambda: self._socket(root) and len(self.randr(check=False)) == self.outputs, self.program,
                  root / "log")

    def _socket(self, root: Path) -> bool:
        found = sorted(p.name for p in root.glob("wayland-*") if not p.name.endswith(".lock"))
        if found:
            self.env["WAYLAND_DISPLAY"] = found[0]
        return bool(found) and self._process is not None and self._process.poll() is None

    def randr(self, *, check: bool = True) -> list[dict[str, Any]]:
        done = subprocess.run(["wlr-randr", "--json"], env=self.env, capture_output=True, text=True, check=check)
        return json.loads(done.stdout) if done.returncode == 0 and done.stdout.strip() else []

    def stop(self) -> None:
        process, self._process = self._process, None
        _stop(process)
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
