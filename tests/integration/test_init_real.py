"""`modeswitch init` on this machine: the domain from a real (embedded) libvirt, sinks from a
real PulseAudio, the stand-in pads from the VM's sysfs tree, keyboard and mouse from a
/dev/input/by-id tree named like real ones; then the real `modeswitch check` on the result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulse_fixtures import DESK, TV

from modeswitch.sandbox.private_pulse import PrivatePulse

MODESWITCH = str(Path(sys.executable).with_name("modeswitch"))
RUNNER = Path(__file__).with_name("embedded_run.py")
KEYBOARD = "usb-Logitech_G513_Carbon_Tactile_Mechanical_Gaming_Keyboard_0B3B385B3531-event-kbd"
MOUSE = "usb-Logitech_G502_HERO_Gaming_Mouse_0B3B385B3531-event-mouse"


@pytest.fixture(scope="module")
def pulse() -> Iterator[PrivatePulse]:
    with PrivatePulse([TV, DESK]) as server:
        yield server


def input_tree(root: Path) -> Path:
    by_id = root / "dev" / "input" / "by-id"
    by_id.mkdir(parents=True)
    for n, name in enumerate((KEYBOARD, KEYBOARD.replace("-event-kbd", "-if01-event-kbd"), MOUSE), 3):
        (root / "dev" / "input" / f"event{n}").touch()
        (by_id / name).symlink_to(f"../event{n}")
    return root / "dev"


def init(config: Path, dev: Path, server: str, *flags: str, answers: str = "") -> dict[str, Any]:
    env = {**os.environ, "PULSE_SERVER": server}
    done = subprocess.run([sys.executable, str(RUNNER), "init", str(config), str(dev), "/nonexistent", *flags],
                          capture_output=True, text=True, timeout=180, input=answers, env=env)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.splitlines()[-1]))


def check(config: Path) -> dict[str, Any]:
    done = subprocess.run([MODESWITCH, "--config", str(config), "check", "--json"], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_init_yes_then_check_names_the_real_devices(pulse: PrivatePulse, tmp_path: Path) -> None:
    config = tmp_path / "cfg" / "config.yaml"
    result = init(config, input_tree(tmp_path), pulse.server, "--yes")
    assert "wrote     " + str(config) in result["output"]
    assert "not found looking-glass-client: not on PATH" in result["output"]
    summary = check(config)
    assert summary["libvirt"] == {"uri": result["uri"], "domain": result["domain"]}
    assert sorted(summary["modes"]) == ["desk", "tv"]
    desk, tv = (config.parent / "modes" / "desk.yaml").read_text(), (config.parent / "modes" / "tv.yaml").read_text()
    assert f'path: "/dev/input/by-id/{KEYBOARD}"' in desk and f'path: "/dev/input/by-id/{MOUSE}"' in desk
    assert "if01" not in desk
    assert f'sink: "{DESK[0]}"' in desk and f'sink: "{TV[0]}"' in tv
    assert tv.count("vendor: 0x045e") == 2  # both stand-in pads, by their Xbox 360 ids


def test_init_never_replaces_without_asking_and_keeps_a_backup(pulse: PrivatePulse, tmp_path: Path) -> None:
    config = tmp_path / "cfg" / "config.yaml"
    dev = input_tree(tmp_path)
    (config.parent / "modes").mkdir(parents=True)
    (config.parent / "modes" / "tv.yaml").write_text("name: tv\nvm: any\n")
    kept = init(config, dev, pulse.server, "--yes")["output"]
    assert "kept      " + str(config.parent / "modes" / "tv.yaml") in kept
    assert (config.parent / "modes" / "tv.yaml").read_text() == "name: tv\nvm: any\n"
    # on a terminal: the keyboard has two interfaces, Enter keeps the proposed one; then "n" for
    # config.yaml (this run's VM has another URI) and "y" for tv.yaml
    asked = init(config, dev, pulse.server, "--interactive", answers="\nn\ny\n")["output"]
    assert "keyboard [1]: " in asked
    assert "replace " + str(config.parent / "modes" / "tv.yaml") in asked
    assert "kept      " + str(config) in asked and "replaced  " + str(config.parent / "modes" / "tv.yaml") in asked
    assert (config.parent / "modes" / "tv.yaml.bak").read_text() == "name: tv\nvm: any\n"
    assert not config.with_name("config.yaml.bak").exists()
    check(config)


def test_init_json_prints_what_it_found_and_writes_nothing(pulse: PrivatePulse, tmp_path: Path) -> None:
    config = tmp_path / "cfg" / "config.yaml"
    result = init(config, input_tree(tmp_path), pulse.server, "--json")
    report = json.loads(result["output"])
    assert [d["name"] for d in report["found"]["domains"]] == [result["domain"]]
    assert {s["name"] for s in report["found"]["sinks"]} == {TV[0], DESK[0]}
    assert report["proposal"]["keyboard"] == f"/dev/input/by-id/{KEYBOARD}"
    assert not config.exists()


def test_cli_init_on_a_machine_with_nothing_to_find(tmp_path: Path) -> None:
    env = {**os.environ, "PULSE_SERVER": f"unix:{tmp_path}/none", "XDG_CONFIG_HOME": str(tmp_path / "home")}
    done = subprocess.run([MODESWITCH, "init", "--yes", "--uri", "qemu:///system"], capture_output=True, text=True,
                          timeout=60, env=env, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "not found libvirt domains" in done.stdout and "not found sinks" in done.stdout
    check(tmp_path / "home" / "modeswitch" / "config.yaml")


def test_cli_init_on_a_terminal_asks_before_replacing(tmp_path: Path) -> None:
    """The real CLI on a pseudo-terminal: it sees a terminal, asks, and Enter means no."""
    import pty
    import select

    home = tmp_path / "home"
    config = home / "modeswitch" / "config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("default_mode: desk\n")
    env = {**os.environ, "PULSE_SERVER": f"unix:{tmp_path}/none", "XDG_CONFIG_HOME": str(home)}
    pid, fd = pty.fork()
    if pid == 0:  # the child: modeswitch on the terminal
        os.execve(MODESWITCH, [MODESWITCH, "init", "--uri", "qemu:///system"], env)
    screen = b""
    try:
        while b"[y/N]: " not in screen:
            ready, _, _ = select.select([fd], [], [], 60)
            assert ready, screen.decode(errors="replace")
            screen += os.read(fd, 4096)
        os.write(fd, b"\n")
        while True:
            ready, _, _ = select.select([fd], [], [], 60)
            assert ready, screen.decode(errors="replace")
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
    finally:
        _, status = os.waitpid(pid, 0)
    text = screen.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert f"replace {config} (a backup is kept)? [y/N]: " in text
    assert f"kept      {config}" in text
    assert config.read_text() == "default_mode: desk\n"
    check(config)
