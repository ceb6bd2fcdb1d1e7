"""The Debian package as a user gets it: `scripts/build-deb` builds it from this checkout, and a
clean Debian 13 root (a throwaway overlay of the one `scripts/debian13-root` caches) installs it
with apt, which fetches the Python libraries from the mirror (they are purged from the root
first). The installed `modeswitch` alone (the root's venv that imports the checkout is deleted)
then answers --version, runs doctor and the demo; `apt remove` and purge leave nothing behind;
and Debian 13's lintian, installed afterwards, has nothing to say about the package.

Built once and installed once: each test below reads one step of that single run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "scripts" / "build-deb"
ROOT = REPO / "scripts" / "debian13-root"
TIMEOUT = 1200  # seconds: a hang guard for apt and the demo's TCG guest on a loaded 2-core machine
# What the package depends on from Debian; purged first so that apt has to resolve them.
LIBRARIES = ("python3-libvirt", "python3-evdev", "python3-yaml", "python3-pulsectl", "python3-pyudev",
             "python3-watchdog", "python3-jeepney")
SYSTEM_PIECES = ("/usr/bin/modeswitch", "/usr/lib/udev/rules.d/70-modeswitch.rules",
                 "/usr/lib/modules-load.d/modeswitch-usbmon.conf", "/usr/lib/systemd/user/modeswitch.service",
                 "/usr/share/bash-completion/completions/modeswitch", "/usr/share/zsh/vendor-completions/_modeswitch",
                 "/usr/share/fish/vendor_completions.d/modeswitch.fish", "/usr/share/man/man1/modeswitch.1.gz",
                 "/usr/share/modeswitch/modes/tv.yaml", "/usr/share/modeswitch/modes/desk.yaml",
                 "/usr/lib/python3/dist-packages/modeswitch/cli/main.py")
# What dpkg itself keeps of a removed package until it is purged: its file list and postrm.
DPKG_RECORD = ("/var/lib/dpkg/info/modeswitch.list", "/var/lib/dpkg/info/modeswitch.postrm")

# One step per line: NAME then the command; each writes /out/NAME.out, .err and .rc.
STEPS = r"""
set -u
step() { name=$1; shift; "$@" >"/out/$name.out" 2>"/out/$name.err"; echo $? >"/out/$name.rc"; }
export DEBIAN_FRONTEND=noninteractive
rm -rf /opt/modeswitch
step before find / -xdev -name '*modeswitch*'
step purge-libraries apt-get purge -y -q @LIBRARIES@
step update apt-get update -q
step install apt-get install -y -q /out/@DEB@
step files dpkg -L modeswitch
step origin python3 -c 'import modeswitch, shutil; print(shutil.which("modeswitch")); print(modeswitch.__file__)'
step version modeswitch --version
step doctor modeswitch doctor --json
step demo modeswitch demo
step udev-install modeswitch udev-rules --install
step unit-install modeswitch systemd-unit --install
step unshadowed sh -c 'ls /etc/udev/rules.d/70-modeswitch.rules /root/.config/systemd/user/modeswitch.service'
step group getent group usbmon
step bash-completion bash -c '. /usr/share/bash-completion/completions/modeswitch && complete -p modeswitch'
step remove apt-get remove -y -q modeswitch
step after-remove find / -xdev -name '*modeswitch*'
step purge apt-get purge -y -q modeswitch
step after-purge find / -xdev -name '*modeswitch*'
step status dpkg-query -W -f '${db:Status-Status}' modeswitch
step lintian-install apt-get install -y -q --no-install-recommends lintian
step lintian lintian --info --pedantic --display-experimental /out/@DEB@
"""


@dataclass
class Step:
    rc: int
    out: str
    err: str

    def lines(self) -> list[str]:
        return self.out.splitlines()


class RootRun:
    def __init__(self, out: Path, output: str) -> None:
        self.dir, self.output = out, output

    def __getitem__(self, name: str) -> Step:
        rc = self.dir / f"{name}.rc"
        assert rc.exists(), f"step {name} did not run:\n{self.output[-4000:]}"
        return Step(int(rc.read_text()), (self.dir / f"{name}.out").read_text(),
                    (self.dir / f"{name}.err").read_text())


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deb")
    done = subprocess.run([str(BUILD), "--out", str(out)], capture_output=True, text=True, timeout=TIMEOUT,
                          stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip())
    assert path == out / "modeswitch_0.1.0_all.deb" and path.is_file(), done.stdout
    return path


@pytest.fixture(scope="module")
def root(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> RootRun:
    out = tmp_path_factory.mktemp("root")
    shutil.copy(deb, out / deb.name)
    script = STEPS.replace("@LIBRARIES@", " ".join(LIBRARIES)).replace("@DEB@", deb.name)
    done = subprocess.run([str(ROOT), "run", "--out", str(out), "sh", "-c", script], capture_output=True,
                          text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL, check=False)
    run = RootRun(out, done.stdout + done.stderr)
    assert done.returncode == 0, run.output[-4000:]  # also: nothing left running in the root
    return run


def _control(deb: Path, field: str) -> str:
    return subprocess.run(["dpkg-deb", "--field", str(deb), field], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_the_package_depends_on_debians_libraries_not_a_compiler(deb: Path) -> None:
    depends = [d.split()[0] for d in _control(deb, "Depends").split(", ")]
    assert set(LIBRARIES) | {"python3:any", "util-linux"} <= set(depends), depends
    assert _control(deb, "Architecture") == "all"


def test_apt_resolves_the_libraries_from_the_mirror(root: RootRun) -> None:
    purged = root["purge-libraries"]
    assert purged.rc == 0, purged.err
    removed = {line.split()[1] for line in purged.lines() if line.startswith("Purg ") or line.startswith("Removing ")}
    assert set(LIBRARIES) <= removed, purged.out
    install = root["install"]
    assert install.rc == 0, install.out + install.err
    for library in LIBRARIES:
        assert f"Setting up {library} " in install.out, install.out


def test_every_system_piece_is_in_its_place(root: RootRun) -> None:
    files = root["files"]
    assert files.rc == 0, files.err
    assert set(SYSTEM_PIECES) <= set(files.lines()), files.out
    assert root["group"].rc == 0, "postinst did not create group usbmon"
    completion = root["bash-completion"]
    assert completion.out.strip() == "complete -F _modeswitch modeswitch", completion.err


def test_the_installed_files_answer(root: RootRun) -> None:
    origin = root["origin"]
    assert origin.lines() == ["/usr/bin/modeswitch", "/usr/lib/python3/dist-packages/modeswitch/__init__.py"], \
        origin.out + origin.err
    version = root["version"]
    assert (version.rc, version.out.strip()) == (0, "modeswitch 0.1.0"), version.err


def test_doctor_finds_the_packages_rules_and_unit(root: RootRun) -> None:
    doctor = root["doctor"]
    assert doctor.rc in (0, 1) and "Traceback" not in doctor.err, doctor.err
    checks = {c["check"]: c for c in json.loads(doctor.out)["checks"]}
    assert checks["udev.rules"]["status"] == "ok", checks["udev.rules"]
    assert "/usr/lib/udev/rules.d/70-modeswitch.rules" in checks["udev.rules"]["message"]
    # systemd in the root reads the package's unit: known and not enabled (not "is not installed")
    assert checks["systemd.unit"]["message"] == "modeswitch.service is disabled", checks["systemd.unit"]
    assert checks["systemd.unit"]["fix"] == "systemctl --user enable --now modeswitch"


def test_the_demo_runs_from_the_package(root: RootRun) -> None:
    demo = root["demo"]
    assert demo.rc == 0, (demo.out + demo.err)[-4000:]
    assert "tv: switched in" in demo.out and "desk: switched in" in demo.out, demo.out[-4000:]
    assert "Traceback" not in demo.err, demo.err[-4000:]


def test_install_commands_point_at_the_package_instead_of_copying(root: RootRun) -> None:
    udev, unit = root["udev-install"], root["unit-install"]
    assert udev.rc == 0 and unit.rc == 0, udev.err + unit.err
    assert udev.lines()[0] == "already installed by the package: /usr/lib/udev/rules.d/70-modeswitch.rules"
    assert unit.lines()[0] == "already installed by the package: /usr/lib/systemd/user/modeswitch.service"
    unshadowed = root["unshadowed"]  # ls prints what exists: no second copy in /etc or ~/.config
    assert unshadowed.out == "" and unshadowed.err.count("No such file") == 2, unshadowed.out + unshadowed.err


def _new(root: RootRun, step: str) -> set[str]:
    """What is named like us now and was not before the install (the root has the host's cache
    of the test guest at /root/.cache/modeswitch from the start)."""
    return set(root[step].lines()) - set(root["before"].lines())


def test_remove_leaves_nothing_of_the_package(root: RootRun) -> None:
    remove = root["remove"]
    assert remove.rc == 0 and "not empty so not removed" not in remove.out + remove.err, remove.out + remove.err
    assert _new(root, "after-remove") <= set(DPKG_RECORD), root["after-remove"].out
    assert not any("modeswitch" in p for p in root["before"].lines() if p != "/root/.cache/modeswitch")
    packaged = [p for p in root["files"].lines() if p.startswith("/") and "modeswitch" in p]
    assert len(packaged) > 100 and not set(packaged) & set(root["after-remove"].lines())


def test_purge_forgets_the_package(root: RootRun) -> None:
    assert root["purge"].rc == 0, root["purge"].err
    assert _new(root, "after-purge") == set(), root["after-purge"].out
    status = root["status"]
    assert (status.out, status.err.strip()) == ("", "dpkg-query: no packages found matching modeswitch")


def test_lintian_of_debian_13_finds_nothing(root: RootRun) -> None:
    """Debian 13's own lintian (the package's overrides say why for what it leaves out)."""
    assert root["lintian-install"].rc == 0, root["lintian-install"].err
    lintian = root["lintian"]
    tags = [line for line in (lintian.out + lintian.err).splitlines()
            if line and "running with root privileges" not in line]
    assert tags == [] and lintian.rc == 0, "\n".join(tags)


# --- pipx, on this machine's Debian 12 ---------------------------------------------------------

def test_pipx_installs_the_checkout_on_the_distributions_libvirt(tmp_path: Path) -> None:
    """`pipx install --system-site-packages .` as README says: libvirt's and evdev's bindings are
    Debian's (no compiler), the rest comes from PyPI into pipx's own venv."""
    source = tmp_path / "src"  # a copy: pip builds in the tree, and an old build/ there leaks in
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "__pycache__",
                                                                 "*.egg-info", ".*_cache"))
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(tmp_path), "PIPX_HOME": str(tmp_path / "pipx"),
           "PIPX_BIN_DIR": str(tmp_path / "bin"), "PIPX_MAN_DIR": str(tmp_path / "man")}
    done = subprocess.run(["pipx", "install", "--system-site-packages", str(source)], env=env, capture_output=True,
                          text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    modeswitch = tmp_path / "bin" / "modeswitch"
    version = subprocess.run([str(modeswitch), "--version"], env=env, capture_output=True, text=True, check=False)
    assert version.stdout.strip() == "modeswitch 0.1.0", version.stderr
    python = tmp_path / "pipx" / "venvs" / "modeswitch" / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import libvirt, evdev, modeswitch; print(libvirt.__file__); "
                            "print(evdev.__file__); print(modeswitch.__file__)"], env=env, capture_output=True,
                           text=True, check=False, cwd=tmp_path)  # not the checkout's modeswitch
    assert where.returncode == 0, where.stderr
    libvirt_file, evdev_file, ours = where.stdout.splitlines()
    assert libvirt_file.startswith("/usr/lib/python3/dist-packages/"), libvirt_file
    assert evdev_file.startswith("/usr/lib/python3/dist-packages/"), evdev_file
    assert ours.startswith(str(tmp_path / "pipx" / "venvs" / "modeswitch")), ours
