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
from libvirt_fixtures import run, vm  # noqa: F401  (the module-scoped embedded VM fixture)
from pulse_fixtures import DESK, TV

from modeswitch.doctor.report import Finding, Status
from modeswitch.doctor.roots import Roots
from modeswitch.doctor.run import doctor
from modeswitch.sandbox.embedded_vm import EmbeddedVm
from modeswitch.sandbox.private_pulse import PrivatePulse

MODESWITCH = str(Path(sys.executable).with_name("modeswitch"))


@pytest.fixture(scope="module")
def pulse() -> Iterator[PrivatePulse]:
    with PrivatePulse([TV, DESK]) as server:
        yield server


def write_config(root: Path, uri: str, domain: str, server: str, tv_sink: str) -> Path:
    (root / "modes").mkdir(parents=True)
    (root / "modes" / "tv.yaml").write_text(f"vm: running\nusb: []\naudio:\n  sink: '{tv_sink}'\n")
    (root / "modes" / "desk.yaml").write_text(
        "vm: running\ninputs:\n  - path: /dev/input/by-id/usb-Logitech_USB_Keyboard-event-kbd\n"
        "audio:\n  description: '*Speakers*'\n")
    config = root / "config.yaml"
    config.write_text(f"libvirt:\n  uri: {uri}\n  domain: {domain}\naudio:\n  server: {server}\n")
    return config


def index(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings}


def test_doctor_against_the_embedded_vm_and_a_private_pulseaudio(
        vm: EmbeddedVm, pulse: PrivatePulse, tmp_path: Path) -> None:  # noqa: F811
    config = write_config(tmp_path, vm.uri, vm.domain, pulse.server, "*hdmi-stereo*")
    roots = Roots.from_environment()
    findings = run(doctor(Roots(path=roots.path, config_home=tmp_path, uid=roots.uid, gids=roots.gids), config))
    found = index(findings)
    assert not [f for f in findings if f.check.endswith(".error")], findings
    assert found["config"].status is Status.OK
    assert found["libvirt.connect"].status is Status.OK and found["libvirt.rights"].status is Status.OK
    assert found["libvirt.domain"].message == f"domain '{vm.domain}' is defined (running)"
    assert found["vm.agent"].status is Status.WARN  # the test VM has no agent channel
    assert found["audio.server"].message == f"{pulse.server}: 2 sink(s)"
    assert found["audio.sink.tv"].message.endswith(f"matches {TV[0]}")
    assert found["audio.sink.desk"].message.endswith(f"matches {DESK[0]}")
    assert found["input.mode"].status is Status.FAIL  # no /dev/input on this machine
    assert found["vfio.iommu"].status in (Status.OK, Status.FAIL)  # whatever this host has, said in a line
    assert found["systemd.unit"].status is Status.WARN


def test_a_sink_that_is_not_there_lists_the_real_ones(
        vm: EmbeddedVm, pulse: PrivatePulse, tmp_path: Path) -> None:  # noqa: F811
    config = write_config(tmp_path, vm.uri, "no-such-domain", pulse.server, "alsa_output.hdmi-tv-that-is-off")
    found = index(run(doctor(Roots(config_home=tmp_path), config)))
    assert found["audio.sink.tv"].status is Status.FAIL
    assert f"{TV[0]} ({TV[1]})" in found["audio.sink.tv"].message
    assert found["libvirt.domain"].status is Status.FAIL
    assert f"defined domains: {vm.domain}" in found["libvirt.domain"].message


def test_cli_with_libvirt_and_sound_server_down(tmp_path: Path) -> None:
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
