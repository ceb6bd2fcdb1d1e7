"""Kill the daemon at random moments of a switch and count what is left; fill its socket.

    .venv/bin/python bench/bench_crash.py [--kills 150] [--clients 1000] [--seed 1]

Each round: the seat is in tv, a client asks for desk (start the viewer, then an after-hook
that runs a child in a session of its own and ends it after 1 s), the daemon gets SIGKILL
0..1.4 s later,
a new daemon starts. Counted from /proc after it is ready: viewers of this seat (more than one
is a defect), hook processes still running (any is a defect), and whether `desk` then leaves
exactly one viewer. Then the daemon's open file descriptors with N idle clients attached,
beside the same count with none. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODESWITCH = str(Path(sys.executable).with_name("modeswitch"))
DESK = """\
looking_glass: {{run: true, argv: [sleep, "1000"]}}
hooks:
  after: [{{argv: [sh, -c, 'setsid sleep 1001 2>/dev/null & child=$!; sleep 1; kill $child'], timeout: 600}}]
"""
TV = "looking_glass: false\n"


class Seat:
    def __init__(self, root: Path) -> None:
        self.root = root
        for name in ("modes", "run", "state", "home"):
            (root / name).mkdir()
        (root / "config.yaml").write_text("default_mode: tv\ntoggle: [desk, tv]\nlooking_glass:\n  grace: 1\n")
        (root / "modes" / "desk.yaml").write_text(DESK.format())
        (root / "modes" / "tv.yaml").write_text(TV)
        self.env = {**os.environ, "XDG_RUNTIME_DIR": str(root / "run"), "XDG_STATE_HOME": str(root / "state"),
                    "HOME": str(root / "home")}
        self.socket = root / "run" / "modeswitch" / "control.sock"
        self.daemon: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> int:
        return subprocess.run([MODESWITCH, "--config", str(self.root / "config.yaml"), *args], env=self.env,
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=120).returncode

    def start(self) -> subprocess.Popen[bytes]:
        self.daemon = subprocess.Popen([MODESWITCH, "--config", str(self.root / "config.yaml"), "daemon"],
                                       env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
        while not self.ready(self.daemon.pid):
            time.sleep(0.05)
        return self.daemon

    def ready(self, pid: int) -> bool:
        """This daemon (not a stale socket, not an in-process fallback) answers and is ready."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                client.settimeout(10)
                client.connect(str(self.socket))
                client.sendall(b'{"v": 1, "verb": "ping"}\n')
                reply = json.loads(client.makefile("rb").readline())
        except (OSError, ValueError):
            return False
        return bool(reply.get("ok")) and reply["result"] == {"pong": True, "pid": pid, "ready": True}

    def processes(self, *cmdline: str) -> list[int]:
        wanted = b"\0".join(part.encode() for part in cmdline) + b"\0"
        marker = f"XDG_RUNTIME_DIR={self.root / 'run'}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            with contextlib.suppress(OSError):
                if entry.name.isdigit() and (entry / "cmdline").read_bytes() == wanted \
                        and marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
        return found

    def kill_all(self) -> None:
        for pid in self.processes("sleep", "1000") + self.processes("sleep", "1001"):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.daemon is not None and self.daemon.poll() is None:
            self.daemon.kill()
            self.daemon.wait()


def kill_rounds(seat: Seat, kills: int, rng: random.Random) -> None:
    doubled = hooks_left = not_one = 0
    daemon = seat.start()
    for _ in range(kills):
        seat.cli("tv")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(str(seat.socket))
            client.sendall(b'{"v": 1, "verb": "switch", "mode": "desk"}\n')
            delay = rng.uniform(0.0, 1.4)
            time.sleep(delay)
            daemon.send_signal(signal.SIGKILL)
            daemon.wait()
        daemon = seat.start()
        doubled += len(seat.processes("sleep", "1000")) > 1
        hooks_left += len(seat.processes("sleep", "1001")) > 0
        desk = seat.cli("desk")
        viewers = seat.processes("sleep", "1000")
        if len(viewers) != 1:
            not_one += 1
            print(f"  kill {delay:.3f} s in: desk exited {desk}, then {len(viewers)} viewers", flush=True)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
    print(f"{kills} kills 0..1.4 s into a desk request: {doubled} with two viewers, "
          f"{hooks_left} with a killed daemon's hook still running, {not_one} where desk did not leave one viewer")


def idle_clients(seat: Seat, count: int) -> None:
    daemon = seat.daemon
    assert daemon is not None
    before = len(os.listdir(f"/proc/{daemon.pid}/fd"))
    clients = []
    for _ in range(count):
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect(str(seat.socket))
        clients.append(client)
    began = time.perf_counter()
    status = seat.cli("status")
    took = (time.perf_counter() - began) * 1000
    during = len(os.listdir(f"/proc/{daemon.pid}/fd"))
    for client in clients:
        client.close()
    print(f"daemon fds: {before} idle, {during} with {count} idle clients (+{during - before}); "
          f"status meanwhile: exit {status} in {took:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=150)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans come to us to be reaped
    seat = Seat(Path(tempfile.mkdtemp(prefix="ms-bench-")))
    try:
        kill_rounds(seat, args.kills, random.Random(args.seed))
        idle_clients(seat, args.clients)
    finally:
        seat.kill_all()
        shutil.rmtree(seat.root, ignore_errors=True)


if __name__ == "__main__":
    main()
