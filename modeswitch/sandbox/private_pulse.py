"""A throw-away PulseAudio server with named null sinks and real playing streams.

The demo and the tests need a sound server that behaves like the user's (sinks named like
ALSA cards, streams from real clients) without touching the user's own server, so this starts
one in a short private temp dir (Unix socket paths are limited to 108 bytes) and stops every
process it started, by PID, on exit.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import pulsectl

from modeswitch.errors import BackendError

STARTUP_TIMEOUT = 10.0
STOP_GRACE = 5.0


def _null_sink_args(name: str, description: str) -> str:
    """module-null-sink arguments; the description is quoted twice (module args, then proplist)."""
    plain = description.replace('"', "").replace("'", "")
    return f"sink_name={name} sink_properties=\"device.description='{plain}'\""


class PrivatePulse:
    """Context manager: a private PulseAudio whose address is `.server`."""

    kind = "pulseaudio"

    def __init__(self, sinks: list[tuple[str, str]], executable: str = "pulseaudio") -> None:
        self.sinks = list(sinks)
        self.executable = executable
        self.dir: Path | None = None
        self.server = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._players: dict[int, subprocess.Popen[bytes]] = {}
        self._modules: dict[str, int] = {}

    def __enter__(self) -> PrivatePulse:
        self.dir = Path(tempfile.mkdtemp(prefix="msp-", dir="/tmp"))
        self.server = f"unix:{self.dir / 'native'}"
        try:
            self.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for pid in list(self._players):
            self.stop_stream(pid)
        self.stop()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- the server ------------------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        assert self.dir is not None
        env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
        for key in ("HOME", "XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH", "PULSE_STATE_PATH"):
            env[key] = str(self.dir)
        return env

    def _script(self) -> Path:
        assert self.dir is not None
        lines = [f"load-module module-native-protocol-unix socket={self.dir / 'native'} auth-anonymous=1"]
        lines += [f"load-module module-null-sink {_null_sink_args(n, d)}" for n, d in self.sinks]
        script = self.dir / "server.pa"
        script.write_text("\n".join(lines) + "\n")
        return script

    def start(self) -> None:
        """Start (or, after stop(), restart) the server with the sinks given at construction."""
        assert self.dir is not None
        argv = [self.executable, "-n", "-F", str(self._script()), "--daemonize=no"]
        argv += ["--exit-idle-time=-1", "--disable-shm=yes", "--log-target=stderr"]
        log = (self.dir / "server.log").open("ab")
        with log:
            self._process = subprocess.Popen(
                argv, env=self._environment(), stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        self._modules = {}
        self._wait(self._accepts, f"PulseAudio at {self.server}")
        with self._pulse() as pulse:
            present = {sink.name for sink in pulse.sink_list()}
        missing = [name for name, _ in self.sinks if name not in present]
        if missing:
            raise BackendError(f"pulseaudio did not create sinks {', '.join(missing)}", self._log_tail())

    def stop(self) -> None:
        """Stop the server (its socket disappears; clients see the connection drop)."""
        if self._process is not None:
            _terminate(self._process)
            self._process = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def _accepts(self) -> bool:
        if self._process is not None and self._process.poll() is not None:
            raise BackendError(f"pulseaudio exited with {self._process.returncode}", self._log_tail())
        with socket.socket(socket.AF_UNIX) as probe:
            try:
                probe.connect(self.server.removeprefix("unix:"))
            except OSError:
                return False
        return True

    def _log_tail(self) -> str:
        assert self.dir is not None
        text = (self.dir / "server.log").read_text(errors="replace").strip().splitlines()
        return text[-1] if text else "no output"

    def _wait(self, ready: Callable[[], bool], what: str) -> None:
        """Startup only: the server and pacat give no readiness signal, so look briefly."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not ready():
            if time.monotonic() > deadline:
                raise BackendError(f"{what} did not come up within {STARTUP_TIMEOUT:.0f} s")
            time.sleep(0.005)

    def _pulse(self) -> pulsectl.Pulse:
        pulse = pulsectl.Pulse("modeswitch-private-pulse", server=self.server, connect=False)
        pulse.connect(autospawn=False)  # pulsectl with a timeout waits all of it even on success
        return pulse

    # --- sinks appearing and going (a TV switched on / off) ----------------------------------

    def load_sink(self, name: str, description: str) -> int:
        with self._pulse() as pulse:
            index = int(pulse.module_load("module-null-sink", _null_sink_args(name, description)))
        self._modules[name] = index
        return index

    def unload_sink(self, name: str) -> None:
        with self._pulse() as pulse:
            pulse.module_unload(self._modules.pop(name))

    # --- playing streams ---------------------------------------------------------------------

    def play(self, sink: str | None = None, name: str = "modeswitch test tone", app: str | None = None) -> int:
        """Start pacat playing silence (to `sink`, or the default) as application `app`;
        returns its PID once the server lists its stream."""
        argv = ["pacat", "--playback", f"--server={self.server}", f"--stream-name={name}"]
        argv += [f"--client-name={app or self.default_app()}", "--latency-msec=200"]
        if sink is not None:
            argv.append(f"--device={sink}")
        argv.append("/dev/zero")
        player = subprocess.Popen(
            argv, env=self._environment(), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self._players[player.pid] = player
        self._wait(lambda: self.stream_of(player.pid) is not None, f"the stream of pacat {player.pid}")
        return player.pid

    def default_app(self) -> str:
        """The application name of a stream started without one."""
        return "pacat"

    def stream_of(self, pid: int) -> int | None:
        """The sink-input index the server gave to the stream of player `pid`."""
        player = self._players.get(pid)
        if player is not None and player.poll() is not None:
            raise BackendError(f"pacat {pid} exited with {player.returncode}")
        with self._pulse() as pulse:
            for stream in pulse.sink_input_list():
                if stream.proplist.get("application.process.id") == str(pid):
                    return int(stream.index)
        return None

    def stop_stream(self, pid: int) -> None:
        player = self._players.pop(pid, None)
        if player is not None:
            _terminate(player)


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
