"""libvirt's own log lines never reach the terminal (modeswitch/logsink.py): `doctor`, a switch
in-process and the daemon, each against a real embedded libvirt, whose driver logs two "error"
lines that are no errors whenever it starts here (no access manager, no /dev/mem for dmidecode).
With -v the same lines are modeswitch's debug records; a libvirt error that matters is still
modeswitch's own one line."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import pytest
from daemon_fixtures import DESK, MODESWITCH, TV, Tree, make_tree, wait_for

from modeswitch.sandbox.embedded_vm import QEMU_CONF

# "2026-12-04 18:23:30.479+0000: 10468: error : virAccessManagerGetDefault:69 : …", and the
# error reports libvirt prints without a handler: "libvirt: QEMU Driver error : …".
LIBVIRT_LINE = re.compile(r"^(\S+ \S+: \d+: (debug|info|warning|error) : |libvirt: )", re.M)


@pytest.fixture
def tree() -> Iterator[Tree]:
    made = make_tree()
    root = made.root / "embed"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "qemu.conf").write_text(QEMU_CONF)
    made.config.write_text(made.config.read_text() + f'libvirt: {{uri: "qemu:///embed?root={root}", domain: absent}}\n')
    made.write_mode("desk", DESK + "vm: running\n")  # modes that need the VM: libvirt is asked
    made.write_mode("tv", TV + "vm: running\n")
    try:
        yield made
    finally:
        made.cleanup()


def _cli(tree: Tree, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MODESWITCH, *args[:1], "--config", str(tree.config), *args[1:]] if args[0] == "-v"
                          else [MODESWITCH, "--config", str(tree.config), *args], capture_output=True, text=True,
                          env=tree.env(), timeout=120, stdin=subprocess.DEVNULL)


def test_doctor_shows_none_of_libvirts_lines(tree: Tree) -> None:
    done = _cli(tree, "doctor")
    assert "domain 'absent' is not defined" in done.stdout, done.stdout + done.stderr
    assert not LIBVIRT_LINE.search(done.stdout + done.stderr), done.stdout + done.stderr
    assert done.stderr == ""


def test_with_verbose_libvirts_lines_are_modeswitch_debug_records(tree: Tree) -> None:
    done = _cli(tree, "-v", "doctor")
    assert re.search(r" DEBUG modeswitch\.libvirt: libvirt info: libvirt version: ", done.stderr), done.stderr
    assert re.search(r" DEBUG modeswitch\.libvirt: libvirt error: .*No access manager registered", done.stderr)
    assert not LIBVIRT_LINE.search(done.stderr), done.stderr


def test_a_libvirt_error_that_matters_is_modeswitchs_own_line(tree: Tree) -> None:
    tree.config.write_text(tree.config.read_text().replace("root=/", "root="))  # a relative root: refused
    done = _cli(tree, "tv")
    assert done.returncode != 0
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("modeswitch: cannot reach libvirt at qemu:///embed"), done.stderr
    assert "root path must be absolute" in lines[0] and not LIBVIRT_LINE.search(done.stdout + done.stderr)


def test_the_daemon_logs_none_of_libvirts_lines(tree: Tree) -> None:
    proc = tree.start_daemon()
    status = tree.cli("status")
    assert "absent" in status.stdout + status.stderr, status  # it asked the embedded libvirt
    wait_for(lambda: "ready on" in tree.log.read_text(), "the daemon to say it is ready")
    assert tree.stop(proc) == 0
    log = tree.log.read_text()
    assert not LIBVIRT_LINE.search(log), log
