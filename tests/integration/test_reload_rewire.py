"""A config reload brings the wiring with it: parts added, removed and changed, on the real
daemon with a real viewer process, a real PulseAudio and a real libvirtd. A reload whose
wiring cannot be built is refused with the reason and leaves the old wiring in force."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator

import libvirt
import pytest
from daemon_fixtures import Tree, make_tree, proc_state, subreaper
from libvirt_fixtures import PrivateLibvirtd, running
from reconcile_fixtures import DESK, HDMI, default_sink
from support.waiting import wait_for

from modeswitch.sandbox.private_pulse import PrivatePulse

PLAIN = "default_mode: desk\ntoggle: [desk, tv]\nlooking_glass:\n  grace: 1\n"
HOOKS_ONLY = "name: {name}\nhooks:\n  after:\n    - argv: [touch, {files}/{name}]\n"


def hooks_only_tree() -> Tree:
    tree = make_tree()
    tree.config.write_text(PLAIN)
    for name in ("desk", "tv"):
        tree.write_mode(name, HOOKS_ONLY.replace("{name}", name))
    return tree


@pytest.fixture
def tree() -> Iterator[Tree]:
    with subreaper():  # a viewer the daemon leaves behind comes to us to be reaped
        tree = hooks_only_tree()
        try:
            yield tree
        finally:
            tree.cleanup()


@pytest.fixture
def vm_daemon(vm_tree: Tree, libvirtd: tuple[PrivateLibvirtd, libvirt.virConnect]) -> Iterator[
        tuple[Tree, subprocess.Popen[bytes], PrivateLibvirtd, libvirt.virConnect]]:
    """A daemon on domain msw-first of the shared libvirtd; tv starts the VM, desk leaves it."""
    daemon, conn = libvirtd
    vm_tree.config.write_text(PLAIN + f"libvirt:\n  uri: {daemon.uri}\n  domain: msw-first\n")
    vm_tree.write_mode("tv", "name: tv\nvm: running\n")
    vm_tree.write_mode("desk", "name: desk\nvm: any\n")
    yield vm_tree, vm_tree.start_daemon(), daemon, conn


def switch(tree: Tree, mode: str) -> dict[str, object]:
    done = tree.cli("switch", mode, "--json")
    outcome = json.loads(done.stdout)
    assert isinstance(outcome, dict)
    outcome["exit"] = done.returncode
    return outcome


def reload(tree: Tree) -> subprocess.CompletedProcess[str]:
    return tree.cli("reload")


def rewired(tree: Tree, part: str) -> None:
    """Saving the files reloads by itself too, so the explicit reload may find nothing left
    to rebuild: the daemon's log says which reload did it."""
    wait_for(lambda: re.search(rf"rewired [^\n]*\b{part}\b", tree.log.read_text()) is not None,
             f"the {part} part to be rebuilt")


def test_a_reload_that_adds_the_viewer_builds_it_and_one_that_drops_it_stops_it(tree: Tree) -> None:
    proc = tree.start_daemon()
    assert switch(tree, "tv")["ok"] is True
    tree.write_mode("desk", "name: desk\nlooking_glass:\n  run: true\n  argv: [sleep, '1000']\n")
    done = reload(tree)
    assert done.returncode == 0, done
    rewired(tree, "viewer")
    outcome = switch(tree, "desk")
    assert outcome["ok"] is True, outcome
    pid = tree.viewer_pid()
    assert pid is not None and proc_state(pid) not in (None, "Z")
    tree.write_mode("desk", HOOKS_ONLY.replace("{name}", "desk"))
    assert reload(tree).returncode == 0
    wait_for(lambda: proc_state(pid) is None, "the viewer of the dropped part to be stopped and reaped")
    assert switch(tree, "tv")["ok"] is True and switch(tree, "desk")["ok"] is True
    assert tree.stop(proc) == 0


def test_a_reload_that_adds_audio_and_then_moves_to_another_server(tree: Tree) -> None:
    with PrivatePulse([DESK, HDMI]) as first, PrivatePulse([DESK, HDMI]) as second:
        proc = tree.start_daemon()
        tree.config.write_text(PLAIN + f"audio:\n  server: {first.server}\n")
        tree.write_mode("tv", f"name: tv\naudio:\n  sink: {HDMI[0]}\n")
        tree.write_mode("desk", f"name: desk\naudio:\n  sink: {DESK[0]}\n")
        done = reload(tree)
        assert done.returncode == 0, done
        rewired(tree, "audio")
        assert switch(tree, "tv")["ok"] is True
        assert default_sink(first) == HDMI[0] and default_sink(second) != HDMI[0]
        tree.config.write_text(PLAIN + f"audio:\n  server: {second.server}\n")
        assert reload(tree).returncode == 0
        assert switch(tree, "desk")["ok"] is True and switch(tree, "tv")["ok"] is True
        assert default_sink(second) == HDMI[0]
        assert tree.stop(proc) == 0


def test_a_reload_to_an_unreachable_sound_server_is_refused_and_the_old_wiring_stays(tree: Tree) -> None:
    with PrivatePulse([HDMI, DESK]) as pulse:
        tree.config.write_text(PLAIN + f"audio:\n  server: {pulse.server}\n")
        tree.write_mode("tv", f"name: tv\naudio:\n  sink: {HDMI[0]}\n")
        tree.write_mode("desk", f"name: desk\naudio:\n  sink: {DESK[0]}\n")
        proc = tree.start_daemon()
        gone = tree.root / "no-such-pulse"
        tree.config.write_text(PLAIN + f"audio:\n  server: unix:{gone}\n")
        done = reload(tree)
        assert done.returncode == 1
        assert done.stderr.startswith("modeswitch: reload refused, keeping the last good config: ")
        assert str(gone) in done.stderr and done.stderr.count("\n") == 1
        assert switch(tree, "tv")["ok"] is True and default_sink(pulse) == HDMI[0]
        assert "reload refused" in tree.log.read_text()
        assert tree.stop(proc) == 0


def test_a_reload_that_names_another_domain_switches_that_one(
    vm_daemon: tuple[Tree, subprocess.Popen[bytes], PrivateLibvirtd, libvirt.virConnect]
) -> None:
    tree, proc, daemon, conn = vm_daemon
    assert switch(tree, "tv")["ok"] is True
    assert running(conn, "msw-first") and not running(conn, "msw-second")
    tree.config.write_text(PLAIN + f"libvirt:\n  uri: {daemon.uri}\n  domain: msw-second\n")
    done = reload(tree)
    assert done.returncode == 0, done
    rewired(tree, "vm")
    assert switch(tree, "desk")["ok"] is True and switch(tree, "tv")["ok"] is True
    assert running(conn, "msw-second")
    status = json.loads(tree.cli("status", "--json").stdout)
    assert status["seat"]["vm"]["domain"] == "msw-second" and status["seat"]["vm"]["state"] == "running"
    assert tree.stop(proc) == 0


def test_a_reload_to_an_unreachable_libvirt_is_refused_and_the_old_domain_stays(
    vm_daemon: tuple[Tree, subprocess.Popen[bytes], PrivateLibvirtd, libvirt.virConnect]
) -> None:
    tree, proc, _, conn = vm_daemon
    tree.config.write_text(PLAIN + f"libvirt:\n  uri: qemu+unix:///session?socket={tree.root}/none\n"
                           "  domain: msw-first\n")
    done = reload(tree)
    assert done.returncode == 1 and "reload refused" in done.stderr, done
    assert switch(tree, "tv")["ok"] is True and running(conn, "msw-first")
    assert tree.stop(proc) == 0
