"""`modeswitch doctor` on this machine: a real libvirt (the embedded VM), a real PulseAudio,
the real /sys, /proc and /dev (no IOMMU, no input devices here), and the CLI with libvirt
down. Nothing may end in a traceback: every check that cannot run is a line."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pulse_fixtures import DESK, TV

from modeswitch.sandbox.private_pulse import PrivatePulse

MODESWITCH = str(Path(sys.executable).with_name("modeswitch"))
RUNNER = Path(__file__).with_name("embedded_run.py")


@pytest.fixture(scope="module")
def pulse() -> Iterator[PrivatePulse]:
    with PrivatePulse([TV, DESK]) as server:
        yield server


def run_doctor(root: Path, server: str, tv_sink: str, *domain: str) -> tuple[str, dict[str, dict[str, str]]]:
    done = subprocess.run([sys.executable, str(RUNNER), "doctor", str(root), server, tv_sink, *domain],
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    return report["domain"], {c["check"]: c for c in report["checks"]}


def test_doctor_against_the_embedded_vm_and_a_private_pulseaudio(pulse: PrivatePulse, tmp_path: Path) -> None:
    domain, found = run_doctor(tmp_path, pulse.server, "*hdmi-stereo*")
    assert not [c for c in found if c.endswith(".error")], found
    assert found["config"]["status"] == "ok"
    assert found["libvirt.connect"]["status"] == "ok" and found["libvirt.rights"]["status"] == "ok"
    assert found["libvirt.domain"]["message"] == f"domain '{domain}' is defined (running)"
    assert found["vm.agent"]["status"] == "warn"  # the test VM has no agent channel
    assert found["vfio.hostdev"]["status"] == "warn"  # nor a GPU
    assert found["audio.server"]["message"].startswith(f"{pulse.server}: PulseAudio ")
    assert found["audio.server"]["message"].endswith(", 2 sink(s)")
    assert found["audio.rules"]["status"] == "ok" and "audio.memory" not in found  # no WirePlumber here
    assert found["audio.sink.tv"]["message"].endswith(f"matches {TV[0]}")
    assert found["audio.sink.desk"]["message"].endswith(f"matches {DESK[0]}")
    assert found["input.mode"]["status"] == "fail"  # no /dev/input on this machine
    assert found["vfio.iommu"]["status"] in ("ok", "fail")  # whatever this host has, said in a line
    assert found["systemd.unit"]["status"] == "warn"


def test_a_sink_and_a_domain_that_are_not_there(pulse: PrivatePulse, tmp_path: Path) -> None:
    domain, found = run_doctor(tmp_path, pulse.server, "alsa_output.hdmi-tv-that-is-off", "no-such-domain")
    assert found["audio.sink.tv"]["status"] == "fail"
    assert f"{TV[0]} ({TV[1]})" in found["audio.sink.tv"]["message"]
    assert found["libvirt.domain"]["status"] == "fail"
    assert f"defined domains: {domain}" in found["libvirt.domain"]["message"]


def test_cli_with_libvirt_and_sound_server_down(tmp_path: Path) -> None:
    from embedded_run import write_config

    config = write_config(tmp_path, "qemu:///system", "win11", f"unix:{tmp_path}/no-pulse", "*hdmi*")
    done = subprocess.run([MODESWITCH, "--config", str(config), "doctor", "--json"], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    checks = {c["check"]: c for c in report["checks"]}
    assert checks["libvirt.connect"]["status"] == "fail" and checks["libvirt.connect"]["fix"]
    assert checks["audio.server"]["status"] == "fail" and "no-pulse" in checks["audio.server"]["message"]
    assert report["summary"]["fail"] >= 2


def test_cli_rejects_a_bad_resolution_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run([MODESWITCH, "doctor", "--resolution", "huge"], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 1 and done.stderr.strip() == (
        "modeswitch: resolution 'huge' is not WIDTHxHEIGHT (e.g. 2560x1440)")
