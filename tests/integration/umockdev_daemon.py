"""End to end under `umockdev-wrapper`: the real daemon reads an emulated pad.

Usage: umockdev-wrapper PYTHON umockdev_daemon.py e2e WORKDIR
This process owns the Testbed; the daemon and the CLI calls are its children and inherit the
preload and the testbed, exactly as a daemon on a real seat sees the kernel's devices. Modes
only run hooks, so no VM or audio server is needed. Prints one JSON object on its last line.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from evdev import ecodes as e
from umockdev_devices import Plugged, Rig

WAIT = 15.0

CONFIG = """\
default_mode: desk
toggle: [desk, tv]
triggers:
  combos:
    - {buttons: [select, start], action: toggle}
  hotplug:
    - {kind: gamepad, mode: tv, debounce: 2}
"""


def write_config(workdir: Path) -> Path:
    """In its own directory: the daemon watches it, and the daemon log must not be there."""
    modes = workdir / "config" / "modes"
    modes.mkdir(parents=True)
    for name in ("desk", "tv"):
        hook = f"hooks:\n  after:\n    - argv: [touch, {workdir / (name + '.entered')}]\n"
        (modes / f"{name}.yaml").write_text(hook)
    config = workdir / "config" / "config.yaml"
    config.write_text(CONFIG)
    return config


class Cli:
    def __init__(self, config: Path, env: dict[str, str]) -> None:
        self.argv = [sys.executable, "-m", "modeswitch", "--config", str(config)]
        self.env = env

    def json(self, *args: str) -> Any:
        done = subprocess.run([*self.argv, *args, "--json"], capture_output=True, text=True,
                              env=self.env, timeout=30, check=False)
        return json.loads(done.stdout) if done.returncode == 0 else None

    def daemon_status(self) -> Any:
        """Status as the daemon answers it; None while the CLI could only look in-process."""
        status = self.json("status")
        return status if status is not None and status.get("daemon") is not None else None

    def mode_becomes(self, mode: str) -> bool:
        """Asks the daemon until it reports `mode` (the transition runs on its own loop)."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            status = self.daemon_status()
            if status is not None and status.get("mode") == mode and status.get("phase") == "idle":
                return True
            time.sleep(0.05)
        return False


def select_start(rig: Rig, pad: Plugged) -> None:
    rig.send(pad, [(e.EV_KEY, e.BTN_START, 1)] + [(e.EV_ABS, e.ABS_X, v) for v in range(-500, 500, 50)])
    rig.send(pad, [(e.EV_KEY, e.BTN_SELECT, 1)])
    rig.send(pad, [(e.EV_KEY, e.BTN_SELECT, 0), (e.EV_KEY, e.BTN_START, 0)])


def scenario(rig: Rig, pad: Plugged, cli: Cli) -> dict[str, Any]:
    status = cli.daemon_status()
    result: dict[str, Any] = {"started_in": status["mode"], "pads_read": [p["name"] for p in status["pads"]]}
    select_start(rig, pad)
    result["combo_switched_to_tv"] = cli.mode_becomes("tv")
    select_start(rig, pad)
    result["combo_toggled_back"] = cli.mode_becomes("desk")
    rig.plug("xpadneo", 4)
    result["hotplug_switched_to_tv"] = cli.mode_becomes("tv")
    return result


def main(workdir: Path) -> dict[str, Any]:
    rig = Rig(workdir)  # first: the Testbed must exist before anything asks umockdev
    rig.plug("dualsense-touchpad", 2)
    pad = rig.plug("xpad-360", 3)  # there before the daemon: read, but not a "connect"
    runtime = workdir / "run"
    runtime.mkdir(mode=0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), XDG_STATE_HOME=str(workdir / "state"))
    config = write_config(workdir)
    cli = Cli(config, env)
    log = (workdir / "daemon.log").open("w")
    daemon = subprocess.Popen([*cli.argv, "daemon"], env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + WAIT
        while cli.daemon_status() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        result = scenario(rig, pad, cli)
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            result_code = daemon.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            result_code = daemon.wait()
        log.close()
    text = (workdir / "daemon.log").read_text()
    result["daemon_exit"] = result_code
    result["daemon_problems"] = [line for line in text.splitlines()
                                 if " ERROR " in line or "Traceback" in line]
    return result


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[2]))))
