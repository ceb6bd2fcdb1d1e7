"""The libvirt and end-to-end tests again, on Debian 13: libvirt 11, QEMU 10, PulseAudio 17, Python 3.13.

This pytest runs them on the machine's own stack (Debian 12: libvirt 9, QEMU 7.2); here they
run a second time in the root that `scripts/debian13-root` builds (cached by its package list),
with this checkout mounted read-only. On libvirt >= 10.4 desk mode's keyboard and mouse go
through libvirt's native `<input type='evdev'>` live attach, below through QMP input-linux
objects: the two runs together prove both. Each selected module is one test here, so a failure
names the module and carries the failing tests' own reports.
"""

from __future__ import annotations

import os
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

import libvirt
import pytest
from progress_lines import show_progress

HERE = Path(__file__).resolve().parent
SCRIPT = HERE.parent.parent / "scripts" / "debian13-root"
# The libvirt and end-to-end tests (the daemon and CLI switching a real VM, PulseAudio, viewer,
# hooks, emulated pads). Not here: the desktop ones (Xorg, Wayland compositors, CEC), udev rules,
# systemd units and the checks of this machine's own devices (doctor, init), which depend on the
# host's desktop, init and hardware rather than on the VM stack.
SELECTION = ("test_libvirt*.py", "test_engine*.py", "test_daemon*.py", "test_guest*.py", "test_evdev*.py",
             "test_umockdev*.py", "test_audio*.py", "test_usb_watch.py", "test_crash*.py", "test_reload*.py",
             "test_control*.py")
# The PipeWire tests run on this machine's PipeWire 0.3.65 only: on PipeWire 1.4 / WirePlumber 0.5
# here, WirePlumber now and then keeps the old default for more than the 5 s a switch waits, in
# whichever PipeWire test switches: an open problem of the audio part (README, Limits). The
# PipeWire-only modules stay out, and the audio tests that run on both servers run on PulseAudio.
LEFT_TO_THE_HOST = ("test_audio_pipewire*.py",)
ON_PULSEAUDIO_ONLY = "not pipewire"
MODULES = sorted(p.name for p in HERE.glob("test_*.py") if any(fnmatch(p.name, g) for g in SELECTION)
                 and not any(fnmatch(p.name, g) for g in LEFT_TO_THE_HOST))
NATIVE_EVDEV_HOTPLUG = 10_004_000  # libvirt 10.4.0, as in backends/libvirt/backend.py
TIMEOUT = 1800  # seconds: a hang guard for the whole run in the root on a loaded 2-core machine
VERSIONS = ("virsh --version; qemu-system-x86_64 --version | head -1; "
            "python3 -c 'import libvirt; print(libvirt.getVersion())'; ")


@dataclass
class RootRun:
    """What the run in the root printed, and each module's test cases from its junit XML."""

    returncode: int
    output: str
    versions: list[str]
    cases: dict[str, list[ET.Element]] = field(default_factory=dict)


def _module_of(case: ET.Element) -> str:
    return case.get("classname", "").rsplit(".", 1)[-1] + ".py"


def _run_in_root(out: Path) -> RootRun:
    argv = [str(SCRIPT), "run", "--out", str(out), "sh", "-c",
            VERSIONS + f'exec python -m pytest -q -p no:cacheprovider -k "{ON_PULSEAUDIO_ONLY}" '
            '--junitxml=/out/junit.xml "$@"', "sh",
            *(f"/src/tests/integration/{name}" for name in MODULES)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL,
                          check=False)
    output = done.stdout + done.stderr
    run = RootRun(done.returncode, output, done.stdout.splitlines()[:3])
    junit = out / "junit.xml"
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            run.cases.setdefault(_module_of(case), []).append(case)
    return run


@pytest.fixture(scope="module")
def root_run(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> RootRun:
    run = _run_in_root(tmp_path_factory.mktemp("debian13"))
    show_progress(pytestconfig, run.output)  # building the root, and the guest suite's first steps in it
    return run


def _problems(cases: list[ET.Element]) -> list[str]:
    found = []
    for case in cases:
        for outcome in ("failure", "error", "skipped"):
            node = case.find(outcome)
            if node is not None:
                report = (node.text or node.get("message") or "")[-3000:]
                found.append(f"{outcome.upper()} {case.get('name')}\n{report}")
    return found


def test_the_root_has_libvirt_11_and_qemu_10_beside_the_hosts_older_stack(root_run: RootRun) -> None:
    """Both evdev paths are proven only while the host is below libvirt 10.4 and the root above."""
    assert len(root_run.versions) == 3, root_run.output[-4000:]
    virsh, qemu, library = root_run.versions
    assert virsh.startswith("11.") and re.match(r"QEMU emulator version 10\.", qemu), root_run.versions
    assert int(library) >= NATIVE_EVDEV_HOTPLUG > libvirt.getVersion(), (
        f"the host's libvirt {libvirt.getVersion()} and the root's {library} must lie on both sides of "
        f"{NATIVE_EVDEV_HOTPLUG}, so that the QMP and the native evdev path both run")


@pytest.mark.parametrize("module", MODULES)
def test_on_debian13(root_run: RootRun, module: str) -> None:
    cases = root_run.cases.get(module, [])
    assert cases, f"no test of {module} ran in the Debian 13 root:\n{root_run.output[-6000:]}"
    problems = _problems(cases)
    assert not problems, f"{module} on Debian 13 (libvirt {root_run.versions[0]}):\n" + "\n\n".join(problems)


def test_the_root_run_ended_cleanly(root_run: RootRun) -> None:
    """Exit 0: every test passed, nothing was left running in the root, every mount undone."""
    assert root_run.returncode == 0, root_run.output[-6000:]
    assert set(root_run.cases) == set(MODULES), sorted(set(MODULES) ^ set(root_run.cases))
    mounts = Path("/proc/self/mountinfo").read_text()
    assert "modeswitch-debian13-" not in mounts and "/debian13-" not in mounts, mounts


# --- the script itself ---------------------------------------------------------------------------

def _script(*argv: str, env: dict[str, str] | None = None, script: Path = SCRIPT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(script), *argv], capture_output=True, text=True, timeout=TIMEOUT,
                          stdin=subprocess.DEVNULL, check=False, env=env)


def test_the_cache_key_changes_with_the_package_list_only(tmp_path: Path) -> None:
    copy = tmp_path / "scripts" / "debian13-root"
    copy.parent.mkdir()
    text, pyproject = SCRIPT.read_text(), (SCRIPT.parent.parent / "pyproject.toml").read_text()
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "MODESWITCH_CACHE": str(tmp_path / "cache")}

    def key(script_text: str, pyproject_text: str = pyproject) -> str:
        copy.write_text(script_text)
        copy.chmod(0o755)
        (tmp_path / "pyproject.toml").write_text(pyproject_text)
        done = _script("path", env=env, script=copy)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    original = key(text)
    assert original.startswith(f"{tmp_path}/cache/debian13-")
    assert key(text.replace("# A Debian 13", "# Still a Debian 13")) == original  # a comment: same root
    assert key(text, pyproject.replace('description = "', 'description = "Really: ')) == original
    assert key(text.replace("  pulseaudio pulseaudio-utils\n", "  pulseaudio pulseaudio-utils strace\n")) != original
    assert key(text, pyproject.replace('    "pyyaml>=6",\n', '    "pyyaml>=6",\n    "PyNaCl>=1.5",\n')) != original
    assert not (tmp_path / "cache").exists()  # `path` builds nothing


def test_the_runtime_dependencies_become_debian_packages() -> None:
    packages = _script("packages").stdout.split()
    for wanted in ("python3-yaml", "python3-libvirt", "python3-evdev", "python3-pulsectl", "libvirt-daemon"):
        assert wanted in packages, packages


def test_a_failing_command_keeps_its_exit_code_and_leaves_no_mount(tmp_path: Path) -> None:
    done = _script("run", "sh", "-c", "test -r /src/pyproject.toml && ! touch /src/x 2>/dev/null && exit 7",
                   env=dict(os.environ, TMPDIR=str(tmp_path)))
    assert done.returncode == 7, done.stderr
    assert list(tmp_path.iterdir()) == []  # the throwaway overlay is gone
    assert "modeswitch-debian13-" not in Path("/proc/self/mountinfo").read_text()


def test_a_process_left_running_in_the_root_fails_the_run_and_is_ended(tmp_path: Path) -> None:
    marker = "modeswitch-left-behind-check"
    done = _script("run", "bash", "-c", f"(exec -a {marker} sleep 300) >/dev/null 2>&1 & exit 0",
                   env=dict(os.environ, TMPDIR=str(tmp_path)))
    assert done.returncode == 1 and "left running in the root" in done.stderr, done.stderr
    assert marker in done.stderr
    survivors = [p for p in Path("/proc").glob("[0-9]*/cmdline") if marker.encode() in _read(p)]
    assert survivors == []
    assert list(tmp_path.iterdir()) == []


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""
