"""What a client sees when the daemon stops under it, or its request is replaced: always an
answer with its own exit code, and never a switch run twice (once by the daemon, once more
in-process by a CLI that took a closed connection for "no daemon")."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import libvirt
import pytest
from daemon_fixtures import MODESWITCH, Tree, make_tree, proc_state, subreaper
from libvirt_fixtures import PrivateLibvirtd
from support.waiting import wait_for

from modeswitch.core.history import HistoryLog

PLAIN = "default_mode: tv\ntoggle: [desk, tv]\nlooking_glass:\n  grace: 1\n"
COUNTED = """\
name: {name}
hooks:
  after:
    - argv: [sh, -c, 'echo run >> {files}/{name}.count; exec sleep {seconds}']
      timeout: 60
"""


@pytest.fixture
def tree() -> Iterator[Tree]:
    with subreaper():
        tree = make_tree()
        tree.config.write_text(PLAIN)
        try:
            yield tree
        finally:
            tree.cleanup()


def counted(tree: Tree, name: str, seconds: float) -> Path:
    tree.write_mode(name, COUNTED.replace("{name}", name).replace("{seconds}", str(seconds)))
    return tree.files / f"{name}.count"


def runs(count_file: Path) -> int:
    return len(count_file.read_text().splitlines()) if count_file.exists() else 0


def cli(tree: Tree, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([MODESWITCH, "--config", str(tree.config), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=tree.env(), stdin=subprocess.DEVNULL)


def history(tree: Tree) -> list[dict[str, object]]:
    return HistoryLog(tree.root / "state" / "modeswitch" / "history.jsonl").tail(20)


def test_sigterm_while_a_client_waits_answers_it_once_and_runs_nothing_twice(tree: Tree) -> None:
    desk = counted(tree, "desk", 30)
    counted(tree, "tv", 0)
    proc = tree.start_daemon()
    client = cli(tree, "desk", "--json")
    wait_for(lambda: runs(desk) == 1, "the desk after-hook to start")
    proc.send_signal(signal.SIGTERM)  # what `systemctl --user stop` does
    out, err = client.communicate(timeout=60)
    assert client.returncode == 2, (out, err)
    outcome = json.loads(out)
    assert outcome["result"] == "cancelled" and outcome["target"] == "desk", outcome
    assert proc.wait(timeout=30) == 0
    time.sleep(0.5)  # give a wrongly re-run hook the time to show up
    assert runs(desk) == 1
    assert [(r["target"], r["source"], r["ok"]) for r in history(tree)] == [("desk", "cli", False)]
    assert "Traceback" not in tree.log.read_text() and "CancelledError" not in tree.log.read_text()


def test_a_request_replaced_by_a_later_one_exits_4_and_changes_nothing(tree: Tree) -> None:
    gate = tree.files / "go"
    tree.write_mode("slow", f"name: slow\nhooks:\n  before:\n    - argv: [sh, -c, 'while [ ! -e {gate} ]; "
                            "do sleep 0.02; done']\n      timeout: 60\n")
    desk, tv = counted(tree, "desk", 0), counted(tree, "tv", 0)
    tree.start_daemon()
    slow = cli(tree, "switch", "slow")
    wait_for(lambda: json.loads(tree.cli("status", "--json").stdout)["phase"] == "switching", "slow to run")
    replaced = cli(tree, "desk")
    wait_for(lambda: json.loads(tree.cli("status", "--json").stdout)["pending"] == "desk", "desk to queue")
    latest = cli(tree, "tv")
    out, err = replaced.communicate(timeout=30)
    assert replaced.returncode == 4, (out, err)
    assert out == "desk: not run, superseded by a newer request for tv\n" and err == ""
    gate.touch()
    assert slow.wait(timeout=30) == 0 and latest.wait(timeout=30) == 0
    assert runs(desk) == 0 and runs(tv) == 1


def test_a_daemon_that_is_not_running_is_not_retried_after_a_reply(tree: Tree) -> None:
    """The other half of the rule: with no daemon at all, the CLI does the switch itself."""
    desk = counted(tree, "desk", 0)
    counted(tree, "tv", 0)
    done = tree.cli("desk")
    assert done.returncode == 0, done
    assert runs(desk) == 1
    assert [(r["target"], r["source"]) for r in history(tree)] == [("desk", "cli (in-process)")]


# --- the VM stopping: the viewer goes through the engine like every other change ----------------

def test_the_vm_stopping_and_starting_moves_the_viewer_through_the_engine(
    vm_tree: Tree, libvirtd: tuple[PrivateLibvirtd, libvirt.virConnect]
) -> None:
    tree, (daemon, conn) = vm_tree, libvirtd
    tree.config.write_text(PLAIN + f"libvirt:\n  uri: {daemon.uri}\n  domain: msw-first\n")
    tree.write_mode("desk", "name: desk\nvm: running\nlooking_glass:\n  run: true\n  argv: [sleep, '1000']\n")
    tree.write_mode("tv", "name: tv\nvm: running\nlooking_glass: false\n")
    proc = tree.start_daemon()
    assert tree.cli("desk").returncode == 0
    pid = tree.viewer_pid()
    assert pid is not None and proc_state(pid) not in (None, "Z")
    conn.lookupByName("msw-first").destroy()  # the guest shut down, or the user pulled the plug
    wait_for(lambda: proc_state(pid) is None, "the viewer to be stopped")
    record = history(tree)[-1]
    assert (record["source"], record["ok"]) == ("vm stopped", True), record
    assert [step["kind"] for step in record["steps"]] == ["viewer.stop"]  # type: ignore[index]
    status = json.loads(tree.cli("status", "--json").stdout)
    assert status["seat"]["viewer"]["running"] is False and status["seat"]["vm"]["state"] == "shutoff"
    conn.lookupByName("msw-first").create()  # the user starts the VM again by hand
    wait_for(lambda: history(tree)[-1]["source"] == "vm started", "the mode's viewer to come back")
    record = history(tree)[-1]
    assert record["ok"] is True and [s["kind"] for s in record["steps"]] == ["viewer.start"]  # type: ignore[index]
    again = tree.viewer_pid()
    assert again is not None and again != pid and proc_state(again) not in (None, "Z")
    assert json.loads(tree.cli("status", "--json").stdout)["mode"] == "desk"
    assert tree.stop(proc) == 0
    log = tree.log.read_text()  # libvirt's callbacks must not outlive the loop they run on
    assert "stopped" in log and "Traceback" not in log and "Event loop is closed" not in log, log[-3000:]
