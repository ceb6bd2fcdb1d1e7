"""A throw-away PipeWire with pipewire-pulse and WirePlumber, the sound stack most users run.

It speaks the same pulse protocol as PrivatePulse (and is driven through the same methods), so
a test can run unchanged on both servers; on top it shows what only PipeWire has: the graph as
`pw-dump` prints it, native `pw-play` streams, and what WirePlumber saved in its state dir.
Without a systemd user manager the three daemons are started by hand, in the order their
units would (pipewire, then wireplumber, then pipewire-pulse, this one only once WirePlumber's
"default" metadata is there: see _exported), with a private runtime dir, state and config
dirs, and a private D-Bus session bus (WirePlumber 0.4 exits without one).
Every process is stopped by PID.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from modeswitch.errors import BackendError
from modeswitch.sandbox.private_pulse import STARTUP_TIMEOUT, PrivatePulse, _terminate

SILENCE_SECONDS = 3600  # a sparse file: an hour of silence costs no disk
_ENV_PREFIXES = ("PULSE_", "PIPEWIRE_", "WIREPLUMBER_", "DBUS_SESSION", "XDG_")


def silence_wav(path: Path, seconds: int = SILENCE_SECONDS) -> Path:
    """A 16-bit mono 8 kHz WAV of silence for pw-play (which only plays files)."""
    rate, size = 8000, 8000 * 2 * seconds
    header = b"RIFF" + struct.pack("<I", 36 + size) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) + b"data" + struct.pack("<I", size)
    with path.open("wb") as out:
        out.write(header)
        out.truncate(len(header) + size)
    return path


class PrivatePipeWire(PrivatePulse):
    """Context manager: pipewire + wireplumber + pipewire-pulse; `.server` is the pulse socket."""

    kind = "pipewire"

    def __init__(self, sinks: list[tuple[str, str]], config: dict[str, str] | None = None) -> None:
        """`config`: files to put below $XDG_CONFIG_HOME before the start, e.g. a WirePlumber
        rule at "wireplumber/policy.lua.d/51-rule.lua" (relative path → text)."""
        super().__init__(sinks, executable="pipewire")
        self.config = dict(config or {})
        self._daemons: list[subprocess.Popen[bytes]] = []
        self._bus: subprocess.Popen[bytes] | None = None
        self._apps = itertools.count(1)

    def __enter__(self) -> PrivatePipeWire:
        self.dir = Path(tempfile.mkdtemp(prefix="mspw-", dir="/tmp"))
        self.dir.chmod(0o700)
        for sub in ("state", "config", "home"):
            (self.dir / sub).mkdir()
        for relative, text in self.config.items():
            path = self.dir / "config" / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        self.server = f"unix:{self.dir / 'pulse' / 'native'}"
        try:
            self._start_bus()
            self.start()
            if self.sinks:
                self.set_default(self.sinks[0][0])  # as PulseAudio does: the first sink loaded
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        super().__exit__(None, None, None)  # streams, the daemons, the directory
        if self._bus is not None:
            _terminate(self._bus)
            self._bus = None

    @property
    def state_dir(self) -> Path:
        """Where WirePlumber keeps what it restores ($XDG_STATE_HOME/wireplumber)."""
        assert self.dir is not None
        return self.dir / "state" / "wireplumber"

    @property
    def pid(self) -> int | None:
        """The process that answers the pulse protocol: pipewire-pulse."""
        return self._daemons[-1].pid if len(self._daemons) == 3 else None

    def _environment(self) -> dict[str, str]:
        assert self.dir is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith(_ENV_PREFIXES) and k != "DISPLAY"}
        env.update(HOME=str(self.dir / "home"), XDG_RUNTIME_DIR=str(self.dir), PIPEWIRE_RUNTIME_DIR=str(self.dir),
                   XDG_STATE_HOME=str(self.dir / "state"), XDG_CONFIG_HOME=str(self.dir / "config"),
                   PULSE_RUNTIME_PATH=str(self.dir / "pulse"), PULSE_SERVER=self.server)
        if self._bus is not None:
            env["DBUS_SESSION_BUS_ADDRESS"] = f"unix:path={self.dir / 'bus'}"
        return env

    def _spawn(self, argv: list[str], log: str) -> subprocess.Popen[bytes]:
        assert self.dir is not None
        with (self.dir / log).open("ab") as out:
            return subprocess.Popen(argv, env=self._environment(), stdin=subprocess.DEVNULL, stdout=out, stderr=out)

    def _start_bus(self) -> None:
        assert self.dir is not None
        argv = ["dbus-daemon", "--session", f"--address=unix:path={self.dir / 'bus'}", "--nofork", "--nopidfile"]
        self._bus = self._spawn(argv, "bus.log")
        self._wait(lambda: _listening(self.dir / "bus" if self.dir else Path()), "the private D-Bus session bus")

    def start(self) -> None:
        """Start (or, after stop(), restart) the three daemons and create the sinks given at
        construction; WirePlumber's state dir is kept across restarts, as a user's is."""
        assert self.dir is not None
        self._modules = {}
        self._daemons = [self._spawn(["pipewire"], "pipewire.log")]
        self._wait(lambda: self._alive() and _listening(self.dir / "pipewire-0" if self.dir else Path()), "pipewire")
        self._daemons.append(self._spawn(["wireplumber"], "wireplumber.log"))
        self._wait(lambda: self._alive() and self._exported(), "WirePlumber's \"default\" metadata")
        self._daemons.append(self._spawn(["pipewire-pulse"], "pipewire-pulse.log"))
        self._wait(lambda: self._alive() and self._accepts(), f"pipewire-pulse at {self.server}")
        for name, description in self.sinks:
            self.load_sink(name, description)
        self._wait(self._settled, "WirePlumber to choose a default sink")

    def stop(self) -> None:
        """Stop all three, newest first, as `systemctl --user stop` would."""
        for process in reversed(self._daemons):
            _terminate(process)
        self._daemons = []

    def _alive(self) -> bool:
        for process in self._daemons:
            if process.poll() is not None:
                raise BackendError(f"{_program(process)} exited with {process.returncode}", self._log_tail())
        return True

    def _exported(self) -> bool:
        """WirePlumber has put its "default" metadata in the registry. pipewire-pulse started
        before that (0.3.65 with WirePlumber 0.4.13, in 1 to 4 starts in 100 here) now and then
        leaves that daemon instance with a "default" metadata that sends no changes to
        any client bound to it, pulse or native, for as long as it runs: a new client reads
        the current values once when it binds, then never sees a change. A set-default then
        looks lost to every connection that was already open (#22). `pw-cli ls` reads the
        registry without binding the object."""
        shown = subprocess.run(["pw-cli", "ls", "Metadata"], env=self._environment(), capture_output=True,
                               text=True, stdin=subprocess.DEVNULL)
        return 'metadata.name = "default"' in shown.stdout

    def _accepts(self) -> bool:
        return _listening(Path(self.server.removeprefix("unix:")))

    def _settled(self) -> bool:
        """Every sink is listed and WirePlumber has chosen the default: it writes
        default.audio.sink into the "default" metadata once its policy runs (pipewire-pulse
        names a default of its own before that, and a default set then is lost when
        WirePlumber restores what it saved)."""
        with self._pulse() as pulse:
            names = {sink.name for sink in pulse.sink_list()}
        if not all(name in names for name, _ in self.sinks):
            return False
        if not self.sinks:
            return True
        shown = subprocess.run(["pw-metadata", "-n", "default", "0", "default.audio.sink"], env=self._environment(),
                               capture_output=True, text=True, stdin=subprocess.DEVNULL)
        return any(f'"{name}"' in shown.stdout for name in names)

    def _log_tail(self) -> str:
        assert self.dir is not None
        lines = []
        for log in ("pipewire.log", "wireplumber.log", "pipewire-pulse.log"):
            path = self.dir / log
            if path.exists():
                lines += [f"{log}: {line}" for line in path.read_text(errors="replace").strip().splitlines()[-2:]]
        return " | ".join(lines) or "no output"

    # --- a test's own sinks on a server shared by many tests ----------------------------------

    @contextlib.contextmanager
    def borrowed(self, sinks: list[tuple[str, str]]) -> Iterator[PrivatePipeWire]:
        """These sinks (the first the default) for one test, on daemons restarted with an empty
        state dir: what WirePlumber remembered of the test before is not this test's memory
        (0.5 keeps a history of defaults, and pinned applications, that would steer it)."""
        before, self.sinks = self.sinks, list(sinks)
        try:
            self.stop()
            shutil.rmtree(self.state_dir, ignore_errors=True)
            self.start()
            if sinks:
                self.set_default(sinks[0][0])
            yield self
        finally:
            for pid in list(self._players):
                self.stop_stream(pid)
            if self._daemons:
                for name in list(self._modules):
                    self.unload_sink(name)
            self.sinks = before

    # --- what PipeWire and WirePlumber hold, seen from outside modeswitch ----------------------

    def set_default(self, name: str) -> None:
        with self._pulse() as pulse:
            pulse.sink_default_set(name)

    def default_app(self) -> str:
        """Every stream its own application unless a test names one: WirePlumber remembers
        targets per application, and tests sharing this server must not share that memory."""
        return f"pacat-{os.getpid()}-{next(self._apps)}"

    def play_native(self, app: str, sink: str | None = None) -> str:
        """A native PipeWire client (pw-play) as application `app`; returns `app` once the
        server lists its stream (pw-play's node carries no process id to find it by)."""
        assert self.dir is not None
        wav = self.dir / "silence.wav"
        if not wav.exists():
            silence_wav(wav)
        argv = ["pw-play", "-P", json.dumps({"application.name": app}), "--latency=200ms"]
        argv += [f"--target={sink}"] if sink is not None else []
        player = self._spawn([*argv, str(wav)], "players.log")
        self._players[player.pid] = player
        self._wait(lambda: self._alive_player(player) and self.stream_named(app) is not None, f"pw-play {app}")
        return app

    def _alive_player(self, player: subprocess.Popen[bytes]) -> bool:
        if player.poll() is not None:
            raise BackendError(f"{_program(player)} {player.pid} exited with {player.returncode}")
        return True

    def stream_named(self, app: str) -> int | None:
        with self._pulse() as pulse:
            for stream in pulse.sink_input_list():
                if stream.proplist.get("application.name") == app:
                    return int(stream.index)
        return None

    def pw_dump(self) -> list[dict[str, Any]]:
        done = subprocess.run(["pw-dump"], env=self._environment(), capture_output=True, text=True, check=True)
        result: list[dict[str, Any]] = json.loads(done.stdout)
        return result

    def saved(self, name: str) -> dict[str, str]:
        """One of WirePlumber's state files (restore-stream, default-nodes, default-profile)
        as key → value; empty when it has saved nothing under that name."""
        path = self.state_dir / name
        if not path.exists():
            return {}
        pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
        return {key: value for key, value in pairs}

    def versions(self) -> dict[str, str]:
        """`--version` of the daemons as installed (the first line naming a version)."""
        found = {}
        for program in ("pipewire", "wireplumber"):
            out = subprocess.run([program, "--version"], capture_output=True, text=True, env=self._environment())
            found[program] = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr.strip()
        return found


def _program(process: subprocess.Popen[bytes]) -> str:
    args = process.args
    return str(args[0]) if isinstance(args, list) else str(args)


def _listening(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def wait_until(ready: Callable[[], bool], what: str, timeout: float = STARTUP_TIMEOUT) -> None:
    """For checks from outside: WirePlumber acts on events, so look until it has."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise BackendError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.02)

