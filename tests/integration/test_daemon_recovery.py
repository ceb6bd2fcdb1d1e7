"""A daemon killed in the middle of a switch: the next one puts the seat back into the mode it
was leaving (the switch is all or nothing, also across a crash)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from pathlib import Path

from daemon_fixtures import MODESWITCH, make_tree, proc_state, reap, subreaper
from support.waiting import wait_for

DESK = """\
looking_glass: {{run: true, argv: [sleep, "1000"]}}
hooks:
  after: [{{argv: [touch, "{files}/desk-entered"]}}]
"""
# The viewer stops in the first group, then an after-hook hangs: the kill lands between them.
TV = """\
looking_glass: false
hooks:
  after: [{{argv: [sh, -c, 'echo $$ > "{files}/tv-hook-pid"; exec sleep 1000'], timeout: 600}}]
"""


def test_switch_interrupted_by_a_crash_is_undone_by_the_next_daemon() -> None:
    tree = make_tree()
    with subreaper():
        try:
            tree.write_mode("desk", DESK)
            tree.write_mode("tv", TV)
            daemon = tree.start_daemon()
            assert tree.cli("desk").returncode == 0
            first_viewer = tree.viewer_pid()
            assert first_viewer is not None
            (tree.files / "desk-entered").unlink()

            background = subprocess.Popen([MODESWITCH, "--config", str(tree.config), "tv"], env=tree.env(),
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)
            wait_for(lambda: (tree.files / "tv-hook-pid").exists(), "the tv switch to reach its hook")
            assert proc_state(first_viewer) in (None, "Z")  # the first group already ran
            marker = json.loads((tree.root / "state" / "modeswitch" / "in-flight.json").read_text())
            assert (marker["target"], marker["previous"]) == ("tv", "desk")

            daemon.send_signal(signal.SIGKILL)
            daemon.wait()
            background.wait(timeout=30)
            reap(first_viewer)

            again = tree.start_daemon()
            wait_for(lambda: (tree.files / "desk-entered").exists(), "recovery to re-enter desk")
            status = json.loads(tree.cli("status", "--json").stdout)
            assert (status["mode"], status["phase"]) == ("desk", "idle")
            assert status["seat"]["viewer"]["running"] is True
            history = json.loads(tree.cli("history", "--json").stdout)["records"]
            assert history[-1]["source"] == "recovery: the switch to tv was interrupted"
            assert history[-1]["ok"] is True
            assert not (tree.root / "state" / "modeswitch" / "in-flight.json").exists()
            assert tree.stop(again) == 0
        finally:
            _kill_orphaned_hook(tree.files / "tv-hook-pid")
            tree.cleanup()


def _kill_orphaned_hook(pidfile: Path) -> None:
    """The hook dies with a daemon killed with SIGKILL (test_crash_hooks.py checks that); a hook
    that did not, for whatever reason, must not outlive the test either."""
    try:
        pid = int(pidfile.read_text())
    except (OSError, ValueError):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    reap(pid)
