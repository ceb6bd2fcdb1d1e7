"""A daemon killed with SIGKILL while a hook runs: the hook does not run on unsupervised.

Its leader dies with the daemon, and whatever it started that is still running (even in a
session of its own) is ended by the next daemon before it does anything else. A hook that
finished normally keeps what it put in the background."""

from __future__ import annotations

import json
import signal
import socket

from crash_fixtures import alive, end_tree, kill_and_reap, read_pid, read_pids, tree_processes
from daemon_fixtures import make_tree, subreaper
from support.waiting import wait_for

DESK = """\
looking_glass: {{run: true, argv: [sleep, "1002"]}}
hooks:
  after:
    - argv: [sh, -c, 'echo x >> "{files}/desk-runs"; setsid sleep 1001 2>/dev/null & echo $! >> "{files}/desk-bg"']
"""
# The after-hook of tv hangs with a grandchild in its own session: the kill lands while it waits.
TV = """\
looking_glass: false
hooks:
  after:
    - argv: [sh, -c, 'echo $$ > "{files}/tv-hook"; echo ran >> "{files}/tv-runs";
                      setsid sleep 1000 & echo $! > "{files}/tv-child"; wait']
      timeout: 600
"""


def test_a_hook_dies_with_a_killed_daemon_and_its_leftovers_end_with_the_next() -> None:
    tree = make_tree()
    leftovers: list[int] = []
    with subreaper():
        try:
            tree.write_mode("desk", DESK)
            tree.write_mode("tv", TV)
            daemon = tree.start_daemon()
            assert tree.cli("desk").returncode == 0
            background_of_desk = read_pid(tree.files / "desk-bg")
            leftovers.append(background_of_desk)

            switch = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # a client that never runs it itself
            switch.connect(str(tree.socket))
            switch.sendall(b'{"v": 1, "verb": "switch", "mode": "tv"}\n')
            wait_for(lambda: (tree.files / "tv-child").exists() and (tree.files / "tv-child").read_text() != "",
                     "the tv hook to start its child")
            hook, child = read_pid(tree.files / "tv-hook"), read_pid(tree.files / "tv-child")
            leftovers += [hook, child]
            assert alive(hook) and alive(child)

            daemon.send_signal(signal.SIGKILL)
            daemon.wait()
            switch.close()
            wait_for(lambda: not alive(hook), "the hook to die with the daemon")
            assert alive(child)  # in a session of its own: only the next daemon can find it

            again = tree.start_daemon()
            assert tree.cli("status").returncode == 0  # answered once the backends are built
            assert not alive(child), "the next daemon did not end the killed daemon's hook"
            assert alive(background_of_desk), "a finished hook's background process was ended"
            # the new daemon's recovery runs desk's hooks with records of their own: wait for it
            wait_for(lambda: json.loads(tree.cli("status", "--json").stdout)["phase"] == "idle", "recovery")
            assert list((tree.runtime / "runs").iterdir()) == []
            assert (tree.files / "tv-runs").read_text() == "ran\n"  # ran once, never again
            assert tree_processes(tree, ("sleep", "1000")) == []
            assert tree.stop(again) == 0
        finally:
            kill_and_reap(leftovers + read_pids(tree.files / "desk-bg"))  # recovery ran desk's hook again
            end_tree(tree)


def test_a_hook_that_times_out_loses_its_whole_tree() -> None:
    tree = make_tree()
    leftovers: list[int] = []
    with subreaper():
        try:
            tree.write_mode("tv", TV.replace("timeout: 600", "timeout: 1"))
            daemon = tree.start_daemon()
            assert tree.cli("desk").returncode == 0
            result = tree.cli("tv")
            assert result.returncode == 2, result.stderr
            leftovers += [read_pid(tree.files / "tv-hook"), read_pid(tree.files / "tv-child")]
            wait_for(lambda: not any(alive(pid) for pid in leftovers), "the timed-out hook's tree to end")
            assert list((tree.runtime / "runs").iterdir()) == []
            assert tree.stop(daemon) == 0
        finally:
            kill_and_reap(leftovers)
            end_tree(tree)
