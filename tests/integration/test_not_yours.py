"""Another user's daemon, seen by a CLI of a different uid: one line, exit 3, "not yours".

Real processes under real uids (root and nobody); nothing switches, in-process neither."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
from crash_fixtures import end_tree
from daemon_fixtures import MODESWITCH, Tree, make_tree
from support.waiting import wait_for

NOBODY = 65534
AS_NOBODY = ("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")


def run(tree: Tree, prefix: tuple[str, ...], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, MODESWITCH, "--config", str(tree.config), *args], capture_output=True,
                          text=True, env=tree.env(), timeout=60, stdin=subprocess.DEVNULL)


def assert_not_yours(result: subprocess.CompletedProcess[str], owner: int) -> None:
    assert result.returncode == 3, result
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert "is not yours" in result.stderr and f"uid {owner}" in result.stderr, result.stderr


@pytest.fixture
def tree() -> Iterator[Tree]:
    tree = make_tree()
    os.chmod(tree.root, 0o755)  # other users may look in, as into a real home
    try:
        yield tree
    finally:
        end_tree(tree)


@pytest.mark.parametrize("runtime_mode", [0o700, 0o755], ids=["runtime-dir-closed", "socket-closed"])
def test_a_root_daemon_is_not_nobodys(tree: Tree, runtime_mode: int) -> None:
    daemon = tree.start_daemon()
    os.chmod(tree.runtime, runtime_mode)
    for args in (("status",), ("status", "--json"), ("plan", "tv"), ("tv",), ("reload",)):
        assert_not_yours(run(tree, AS_NOBODY, *args), 0)
    assert not (tree.files / "tv").exists()  # the tv hook never ran, in the daemon or in-process
    assert tree.cli("status").returncode == 0  # its owner is still served
    assert tree.stop(daemon) == 0


def test_nobodys_daemon_refuses_root(tree: Tree) -> None:
    subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", str(tree.root)], check=True)
    with tree.log.open("ab") as log:
        daemon = subprocess.Popen([*AS_NOBODY, MODESWITCH, "--config", str(tree.config), "daemon"],
                                  stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=tree.env())
    tree.procs.append(daemon)
    wait_for(lambda: daemon.poll() is not None or "ready on" in tree.log.read_text(), "nobody's daemon to be ready")
    assert daemon.poll() is None, tree.log.read_text()
    for args in (("status",), ("tv",), ("plan", "tv")):
        assert_not_yours(run(tree, (), *args), NOBODY)
    assert not (tree.files / "tv").exists()
    assert "refused a control connection from uid 0" in tree.log.read_text()
    assert tree.stop(daemon) == 0
