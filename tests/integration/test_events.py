"""`modeswitch events` over the real socket of a real daemon: the stream a status bar sees."""

from __future__ import annotations

import json
import queue
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import IO, Any

import pytest
from daemon_fixtures import MODESWITCH, Tree, make_tree
from support.waiting import wait_for

GUARD = 30.0  # a hang guard, not a timing expectation


class Follower:
    """`modeswitch events` as a child; a thread hands its lines over as they come."""

    def __init__(self, tree: Tree, *flags: str) -> None:
        self.proc = subprocess.Popen([MODESWITCH, "--config", str(tree.config), "events", *flags],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=tree.env(),
                                     stdin=subprocess.DEVNULL, text=True)
        self.seen: list[Any] = []
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put("")

    def next(self) -> str:
        try:
            line = self.lines.get(timeout=GUARD)
        except queue.Empty:
            raise AssertionError(f"no event within the guard; seen {self.seen}") from None
        assert line, f"the stream ended; stderr: {self._stderr()}"
        return line.rstrip("\n")

    def until(self, check: Any) -> list[dict[str, Any]]:
        got = []
        while True:
            event = json.loads(self.next())
            self.seen.append(event)
            got.append(event)
            if check(event):
                return got

    def _stderr(self) -> str:
        stream: IO[str] | None = self.proc.stderr
        return stream.read() if stream is not None and self.proc.poll() is not None else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(timeout=GUARD)


@pytest.fixture
def tree() -> Iterator[Tree]:
    made = make_tree()
    try:
        yield made
    finally:
        made.cleanup()


def finished(target: str) -> Any:
    return lambda e: e["event"] == "transition.finished" and e["target"] == target


def test_events_stream_switches_state_and_reloads(tree: Tree) -> None:
    daemon = tree.start_daemon()
    follower = Follower(tree, "--json")
    try:
        first = follower.until(lambda e: True)[0]
        assert first["event"] == "state" and first["phase"] in ("idle", "unknown", "switching")
        assert tree.cli("desk").returncode == 0  # the tree starts out in tv: desk has steps to run
        got = follower.until(finished("desk"))
        kinds = [(e["event"], e.get("target"), e.get("source")) for e in got]
        assert kinds == [("request", "desk", "cli"), ("transition.started", "desk", "cli"),
                         ("state", "desk", None), ("transition.finished", "desk", "cli")]
        assert got[2]["phase"] == "switching"
        assert got[-1]["result"] == "done" and got[-1]["steps"]  # the whole transition record
        after = follower.until(lambda e: e["event"] == "state")
        assert (after[-1]["mode"], after[-1]["phase"]) == ("desk", "idle")
        refused = tree.cli("switch", "nosuchmode")
        assert refused.returncode == 1
        got = follower.until(lambda e: e["event"] == "transition.finished")
        assert [e["event"] for e in got] == ["request", "transition.finished"]
        assert (got[-1]["result"], got[-1]["target"]) == ("refused", "nosuchmode")
        tree.write_mode("tv", "name: tv\nvm: sometimes\n")
        assert tree.cli("reload").returncode == 1
        reload = follower.until(lambda e: e["event"] == "reload")[-1]
        assert reload["ok"] is False and "tv.yaml:2:5" in reload["error"]
    finally:
        follower.stop()
    tree.stop(daemon)


def test_human_lines_and_exit_3_when_the_daemon_stops(tree: Tree) -> None:
    daemon = tree.start_daemon()
    follower = Follower(tree)
    first = follower.next()
    assert " state     " in first
    assert tree.cli("desk").returncode == 0
    lines = []
    while not lines or " done      desk" not in lines[-1]:
        lines.append(follower.next())
    assert any(" request   desk (from cli)" in line for line in lines), lines
    assert any(" switching tv -> desk (from cli)" in line for line in lines), lines
    tree.stop(daemon)
    assert follower.proc.wait(timeout=GUARD) == 3
    assert follower.proc.stderr is not None and "the daemon stopped" in follower.proc.stderr.read()


def test_a_subscriber_that_hangs_up_is_let_go_and_others_keep_streaming(tree: Tree) -> None:
    daemon = tree.start_daemon()
    gone = socket.socket(socket.AF_UNIX)
    gone.connect(str(tree.socket))
    gone.sendall(b'{"v":1,"verb":"subscribe"}\n')
    reply = json.loads(gone.makefile("rb").readline())
    assert reply == {"v": 1, "ok": True, "result": {"subscribed": True}}
    gone.close()
    follower = Follower(tree, "--json")
    try:
        follower.until(lambda e: True)
        for mode in ("desk", "tv", "desk"):
            assert tree.cli(mode).returncode == 0
            follower.until(finished(mode))
        assert tree.answers()
    finally:
        follower.stop()
    assert tree.stop(daemon) == 0


def test_events_without_a_daemon_is_exit_3_in_one_line(tree: Tree) -> None:
    done = tree.cli("events")
    assert done.returncode == 3
    assert done.stderr.startswith("modeswitch: no daemon at ") and "\n" == done.stderr[-1:]
    assert done.stderr.count("\n") == 1


def test_a_daemon_stopping_mid_stream_leaves_no_process(tree: Tree) -> None:
    daemon = tree.start_daemon()
    follower = Follower(tree, "--json")
    follower.until(lambda e: True)
    daemon.send_signal(signal.SIGTERM)
    wait_for(lambda: follower.proc.poll() is not None, "events to end with the daemon", GUARD)
    assert follower.proc.returncode == 3
    assert daemon.wait(timeout=GUARD) == 0
    time.sleep(0)  # nothing left running: both children are reaped above
