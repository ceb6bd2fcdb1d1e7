"""A viewer whose starter was killed before it wrote the pidfile is still found: never two viewers.

The record of a started viewer is written atomically right after the spawn; a viewer without
one (the starter killed in between) is found by the seat's marker in its environment."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
from pathlib import Path

from crash_fixtures import alive, end_tree, tree_processes
from daemon_fixtures import make_tree, proc_state, reap, subreaper

from modeswitch.parts.viewer.backend import ViewerSupervisor

VIEWER = ("sleep", "1000")  # the stand-in viewer of daemon_fixtures' desk mode


def test_a_viewer_without_its_pidfile_is_adopted_not_doubled() -> None:
    tree = make_tree()
    with subreaper():
        try:
            daemon = tree.start_daemon()
            assert tree.cli("desk").returncode == 0
            [viewer] = tree_processes(tree, VIEWER)
            daemon.send_signal(signal.SIGKILL)
            daemon.wait()
            tree.viewer_pidfile.unlink()  # as if the kill came between the spawn and the record

            again = tree.start_daemon()
            status = json.loads(tree.cli("status", "--json").stdout)
            assert (status["mode"], status["seat"]["viewer"]["pid"]) == ("desk", viewer)
            assert tree.viewer_pid() == viewer  # the record is back
            assert tree.cli("desk").returncode == 0
            assert tree_processes(tree, VIEWER) == [viewer]
            assert tree.cli("tv").returncode == 0
            assert tree_processes(tree, VIEWER) == []
            reap(viewer)
            assert tree.cli("desk").returncode == 0
            assert len(tree_processes(tree, VIEWER)) == 1
            assert tree.stop(again) == 0
            assert tree_processes(tree, VIEWER) == []
        finally:
            end_tree(tree)


def test_kills_at_any_moment_of_a_desk_request_never_leave_two_viewers() -> None:
    tree = make_tree()
    with subreaper():
        try:
            daemon = tree.start_daemon()
            for delay in (0.0, 0.01, 0.03, 0.06, 0.1, 0.2, 0.28):
                assert tree.cli("tv").returncode == 0
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                    client.connect(str(tree.socket))
                    client.sendall(b'{"v": 1, "verb": "switch", "mode": "desk"}\n')
                    time.sleep(delay)
                    daemon.send_signal(signal.SIGKILL)
                    daemon.wait()
                daemon = tree.start_daemon()
                assert len(tree_processes(tree, VIEWER)) <= 1, f"two viewers after a kill {delay} s in"
                assert tree.cli("desk").returncode == 0
                assert len(tree_processes(tree, VIEWER)) == 1, f"after a kill {delay} s in"
            assert tree.stop(daemon) == 0
            assert tree_processes(tree, VIEWER) == []
        finally:
            end_tree(tree)


def test_a_second_viewer_of_the_seat_is_ended_on_first_look(tmp_path: Path) -> None:
    script = tmp_path / "viewer"
    script.write_text("#!/bin/sh\nexec sleep 1000\n")
    script.chmod(0o755)
    pidfile = tmp_path / "run" / "viewer.pid"

    async def scenario() -> None:
        first = ViewerSupervisor((str(script),), pidfile, grace=2.0, stop_on_close=False)
        await first.start((str(script),))
        stray = (await first.observe()).pid
        await first.close()  # leaves it running, like a one-shot CLI
        pidfile.unlink()  # and its record is lost
        second = ViewerSupervisor((str(script),), pidfile, grace=2.0)
        try:
            await second.start((str(script),))
            own = (await second.observe()).pid
            assert own != stray and own is not None
            assert proc_state(stray or 0) in (None, "Z"), "the stray viewer still runs"
        finally:
            await second.close()
        assert not alive(own or 0)

    with subreaper():
        asyncio.run(scenario())
