"""The real daemon over the real control socket, and the CLI against it (and without it)."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from daemon_fixtures import Tree, make_tree, proc_state, reap, request, send_raw, subreaper, tree_with_daemon
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.waiting import wait_for

OTHER_USER = "modeswitch-test"


@pytest.fixture
def daemon() -> Iterator[tuple[Tree, subprocess.Popen[bytes]]]:
    with subreaper(), tree_with_daemon() as running:
        yield running


def status(tree: Tree) -> dict[str, Any]:
    reply = request(tree.socket, {"verb": "status"})
    assert reply["ok"] is True and reply["v"] == 1, reply
    return reply["result"]


def error_of(reply: dict[str, Any]) -> tuple[str, str]:
    assert reply["ok"] is False and reply["v"] == 1 and set(reply) == {"v", "ok", "error"}, reply
    return reply["error"]["type"], reply["error"]["message"]


# --- status and switching ---------------------------------------------------------------------

def test_status_shape(daemon: tuple[Tree, subprocess.Popen[bytes]]) -> None:
    tree, proc = daemon
    result = status(tree)
    assert set(result) >= {"mode", "phase", "target", "pending", "error", "daemon", "config", "seat"}
    assert (result["mode"], result["phase"]) == ("tv", "idle")  # nothing runs: the world matches tv
    assert result["daemon"] == {"pid": proc.pid, "socket": str(tree.socket)}
    assert result["config"] == str(tree.config)
    assert result["seat"]["viewer"] == {"running": False, "pid": None, "restarts": 0}
    assert set(result["seat"]) == {"vm", "usb", "audio", "viewer", "display", "tv", "monitor", "guest"}


def test_switch_through_the_cli_and_the_socket(daemon: tuple[Tree, subprocess.Popen[bytes]]) -> None:
    tree, _ = daemon
    done = tree.cli("desk")
    assert done.returncode == 0, done.stderr
    assert "desk: switched" in done.stdout
    seen = status(tree)
    assert (seen["mode"], seen["phase"]) == ("desk", "idle")
    viewer = seen["seat"]["viewer"]
    assert viewer["running"] and viewer["pid"] == tree.viewer_pid() and proc_state(viewer["pid"]) in ("S", "R")
    assert (tree.files / "desk").exists()

    done = tree.cli("tv")
    assert done.returncode == 0, done.stderr
    assert status(tree)["seat"]["viewer"]["running"] is False
    wait_for(lambda: proc_state(viewer["pid"]) is None, "the stopped viewer to be reaped")

    done = tree.cli("toggle", "--json")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert (record["target"], record["ok"], record["source"]) == ("desk", True, "cli")

    reply = request(tree.socket, {"verb": "switch", "mode": "toggle", "source": "raw test"})
    assert reply["ok"] is True and reply["result"]["target"] == "tv" and reply["result"]["ok"] is True
    assert [s["kind"] for s in reply["result"]["steps"]] == ["viewer.stop", "hook"]

    again = request(tree.socket, {"verb": "switch", "mode": "tv"})
    assert again["result"]["ok"] is True and again["result"]["steps"] == []  # already in place

    plan = request(tree.socket, {"verb": "plan", "mode": "desk"})["result"]
    assert plan == {"target": "desk", "notes": [], "groups": [
        [{"kind": "viewer.start", "target": "looking-glass", "description": "start Looking Glass"}],
        [{"kind": "hook", "target": "touch", "description": f"after-hook touch {tree.files}/desk"}]]}


def test_status_and_history_json_keys(daemon: tuple[Tree, subprocess.Popen[bytes]]) -> None:
    tree, proc = daemon
    assert tree.cli("desk").returncode == 0
    done = tree.cli("status", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert sorted(result) == ["config", "daemon", "error", "mode", "pads", "pending", "phase", "seat", "target"]
    assert result["pads"] == []  # no combos or hotplug rules: no pad is read
    assert (result["mode"], result["phase"], result["daemon"]["pid"]) == ("desk", "idle", proc.pid)
    assert sorted(result["seat"]["viewer"]) == ["pid", "restarts", "running"]

    done = tree.cli("history", "--json", "-n", "5")
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)["records"]
    assert len(records) == 1
    assert sorted(records[0]) == ["duration_ms", "error", "failed_step", "id", "notes", "ok", "rolled_back",
                                  "source", "started", "steps", "target"]
    assert sorted(records[0]["steps"][0]) == ["description", "duration_ms", "error", "kind", "ok", "target"]
    assert (records[0]["target"], records[0]["ok"], records[0]["source"]) == ("desk", True, "cli")
    through_daemon = request(tree.socket, {"verb": "history", "n": 5})["result"]["records"]
    assert through_daemon == records


# --- bad requests ------------------------------------------------------------------------------

BAD = [
    (b"not json\n", "ProtocolError", "not JSON: "),
    (b"[1, 2]\n", "ProtocolError", "a request must be a JSON object"),
    (b'{"v": 2, "verb": "status"}\n', "ProtocolError", "unsupported protocol version 2 (this daemon speaks v1)"),
    (b'{"verb": "status"}\n', "ProtocolError", "unsupported protocol version None"),
    (b'{"v": true, "verb": "status"}\n', "ProtocolError", "unsupported protocol version True"),
    (b'{"v": 1.0, "verb": "status"}\n', "ProtocolError", "unsupported protocol version 1.0"),
    (b'{"v": 1, "verb": "dance"}\n', "ProtocolError", "unknown verb 'dance' (one of: ping, status, switch"),
    (b'{"v": 1, "verb": "switch"}\n', "ModeswitchError", "'mode' must be a non-empty string"),
    (b'{"v": 1, "verb": "switch", "mode": 7}\n', "ModeswitchError", "'mode' must be a non-empty string"),
    (b'{"v": 1, "verb": "plan", "mode": "couch"}\n', "UnknownMode", "unknown mode 'couch'"),
    (b'{"v": 1, "verb": "history", "n": -1}\n', "ModeswitchError", "'n' must be a whole number 0..10000"),
    (b'{"v": 1, "verb": "status", "x": ' + b"1" * 5000 + b"}\n", "ProtocolError", "not JSON: "),
    (b"[" * 30000 + b"\n", "ProtocolError", "not JSON: "),
]


REFUSED = [
    (b'{"v": 1, "verb": "switch", "mode": "couch"}\n', "unknown mode 'couch' (expected one of: desk, tv)"),
    (b'{"v": 1, "verb": "switch", "mode": "dsek"}\n', "unknown mode 'dsek' (did you mean 'desk'?)"),
    (b'{"v": 1, "verb": "switch", "mode": "toggle"}\n', None),  # a valid request, for contrast
]


def test_a_switch_to_an_unknown_mode_is_a_refused_outcome(daemon: tuple[Tree, subprocess.Popen[bytes]]) -> None:
    """A well-formed switch request always gets an outcome; an unknown mode is one that was
    refused with nothing changed (exit 1 in the CLI), typed rather than an error string."""
    tree, _ = daemon
    replies = send_raw(tree.socket, b"".join(line for line, _ in REFUSED))
    for reply, (line, message) in zip(replies, REFUSED, strict=True):
        assert reply["ok"] is True, (line, reply)
        outcome = reply["result"]
        if message is None:
            assert outcome["result"] == "done" and outcome["error"] is None, outcome
            continue
        assert outcome["result"] == "refused" and outcome["error_type"] == "UnknownMode", outcome
        assert outcome["error"] == message and outcome["ok"] is False


def test_bad_requests_get_readable_errors(daemon: tuple[Tree, subprocess.Popen[bytes]]) -> None:
    tree, _ = daemon
    replies = send_raw(tree.socket, b"".join(line for line, _, _ in BAD))  # all on one connection
    assert len(replies) == len(BAD)
    for reply, (line, kind, message) in zip(replies, BAD, strict=True):
        assert error_of(reply)[0] == kind, (line[:40], reply)
        assert error_of(reply)[1].startswith(message), (line[:40], reply)
    assert status(tree)["phase"] == "idle"


def test_oversized_message_gets_an_error_and_no_crash(daemon: tuple[Tree, subprocess.Popen[bytes]]) -> None:
    tree, proc = daemon
    for data in (b"x" * (70 * 1024) + b"\n", b'{"v": 1, "verb": "status", "pad": "' + b"a" * 66000 + b'"}\n',
                 b"y" * (200 * 1024)):
        replies = send_raw(tree.socket, data)
        assert [error_of(r) for r in replies] == [("ProtocolError", "message too large (limit 65536 bytes)")]
    replies = send_raw(tree.socket, b'{"v": 1, "verb": "ping"}')  # no newline before EOF
    assert [error_of(r) for r in replies] == [("ProtocolError", "message not terminated by a newline")]
    assert proc.poll() is None and status(tree)["phase"] == "idle"


def test_two_clients_at_once_coalesce(daemon: tuple[Tree, subprocess.Popen[bytes]]) -> None:
    tree, _ = daemon
    gate = tree.files / "go"
    tree.write_mode("slow", "name: slow\nlooking_glass:\n  run: true\n  argv: [sleep, '1000']\nhooks:\n  before:\n"
                    f"    - argv: [sh, -c, 'while [ ! -e {gate} ]; do sleep 0.02; done']\n      timeout: 60\n")
    assert tree.cli("reload").returncode == 0
    results: dict[str, dict[str, Any]] = {}

    def switch(mode: str) -> None:
        results[mode] = request(tree.socket, {"verb": "switch", "mode": mode})

    first = threading.Thread(target=switch, args=("slow",))
    first.start()
    wait_for(lambda: status(tree)["phase"] == "switching", "the slow switch to start")
    second = threading.Thread(target=switch, args=("desk",))
    second.start()
    wait_for(lambda: status(tree)["pending"] == "desk", "desk to be queued")
    third = threading.Thread(target=switch, args=("tv",))
    third.start()
    wait_for(lambda: status(tree)["pending"] == "tv", "tv to replace desk")
    second.join(timeout=30)
    assert results["desk"]["result"] == {"ok": False, "result": "superseded", "superseded_by": "tv",
                                         "target": "desk", "error": "superseded by a request for tv",
                                         "error_type": None}
    seen = status(tree)  # the daemon answers while a transition runs
    assert (seen["phase"], seen["target"], seen["pending"]) == ("switching", "slow", "tv")
    gate.touch()
    first.join(timeout=30)
    third.join(timeout=30)
    assert results["slow"]["result"]["ok"] is True
    assert results["tv"]["result"]["ok"] is True
    assert (status(tree)["mode"], status(tree)["phase"]) == ("tv", "idle")


# --- socket ownership ----------------------------------------------------------------------------

CLIENT = """
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
try:
    s.connect(sys.argv[1])
except PermissionError:
    print("connect: permission denied")
    sys.exit(0)
try:
    s.sendall(b'{"v": 1, "verb": "switch", "mode": "desk"}\\n')
except BrokenPipeError:
    pass  # the daemon may refuse (answer and close) before the request is sent
print(s.makefile("rb").readline().decode().strip())
"""


def as_other_user(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["setpriv", f"--reuid={OTHER_USER}", "--regid=nogroup", "--clear-groups", *argv],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_socket_and_directory_modes(daemon: tuple[Tree, subprocess.Popen[bytes]]) -> None:
    tree, _ = daemon
    info = os.stat(tree.socket)
    assert stat.S_ISSOCK(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tree.runtime).st_mode) == 0o700


def test_another_uid_is_refused(daemon: tuple[Tree, subprocess.Popen[bytes]]) -> None:
    tree, _ = daemon
    subprocess.run(["id", OTHER_USER], check=True, capture_output=True)
    for directory in (tree.root, tree.root / "run"):
        os.chmod(directory, 0o711)
    denied = as_other_user("/usr/bin/python3", "-c", CLIENT, str(tree.socket))
    assert denied.stdout.strip() == "connect: permission denied", denied.stderr  # the 0700 dir stops it
    os.chmod(tree.runtime, 0o711)
    os.chmod(tree.socket, 0o666)  # loosened: now only SO_PEERCRED stands in the way
    refused = as_other_user("/usr/bin/python3", "-c", CLIENT, str(tree.socket))
    assert refused.returncode == 0 and refused.stdout, refused.stderr
    reply = json.loads(refused.stdout)
    uid = int(subprocess.run(["id", "-u", OTHER_USER], capture_output=True, text=True, check=True).stdout)
    assert error_of(reply) == ("PermissionDenied", f"uid {uid} may not control this seat")
    assert f"refused a control connection from uid {uid}" in tree.log.read_text()
    assert status(tree)["mode"] == "tv" and not (tree.files / "desk").exists()


def test_stale_socket_file_is_replaced() -> None:
    tree = make_tree()
    try:
        tree.runtime.mkdir(mode=0o700)
        leftover = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        leftover.bind(str(tree.socket))
        leftover.close()  # the file stays, nobody listens
        assert stat.S_ISSOCK(os.stat(tree.socket).st_mode)
        proc = tree.start_daemon()
        assert status(tree)["daemon"]["pid"] == proc.pid
        assert "removed stale control socket" in tree.log.read_text()
        assert tree.stop(proc) == 0
    finally:
        tree.cleanup()


def test_a_second_daemon_is_refused(daemon: tuple[Tree, subprocess.Popen[bytes]]) -> None:
    tree, proc = daemon
    second = tree.start_daemon(wait=False)
    assert second.wait(timeout=30) == 1
    assert f"a modeswitch daemon already runs on {tree.socket}" in tree.log.read_text()
    assert status(tree)["daemon"]["pid"] == proc.pid


def test_sigterm_stops_cleanly(daemon: tuple[Tree, subprocess.Popen[bytes]]) -> None:
    tree, proc = daemon
    assert tree.cli("desk").returncode == 0
    viewer = tree.viewer_pid()
    assert viewer is not None and proc_state(viewer) in ("S", "R")
    assert tree.stop(proc) == 0
    assert not tree.socket.exists()
    wait_for(lambda: proc_state(viewer) is None, "the viewer to be gone and reaped")
    assert not tree.viewer_pidfile.exists()
    assert "Traceback" not in tree.log.read_text()


# --- reload ----------------------------------------------------------------------------------

COUCH = "name: couch\nlooking_glass: false\nhooks:\n  after:\n    - argv: [touch, {files}/couch]\n"


def switch_ok(tree: Tree, mode: str) -> bool:
    reply = request(tree.socket, {"verb": "switch", "mode": mode})
    return bool(reply["ok"] and reply["result"]["ok"])


def test_sighup_reloads(daemon: tuple[Tree, subprocess.Popen[bytes]]) -> None:
    tree, proc = daemon
    assert request(tree.socket, {"verb": "switch", "mode": "couch"})["result"]["error_type"] == "UnknownMode"
    tree.write_mode("couch", COUCH)
    proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "config reloaded: 3 mode(s)" in tree.log.read_text(), "the reload")
    assert switch_ok(tree, "desk") and switch_ok(tree, "couch")
    assert (tree.files / "couch").exists()


def test_editing_a_mode_file_reloads_and_a_broken_edit_is_refused(daemon: tuple[Tree, subprocess.Popen[bytes]]) -> None:
    tree, _ = daemon
    tree.write_mode("couch", COUCH)
    wait_for(lambda: "UnknownMode" not in json.dumps(request(tree.socket, {"verb": "plan", "mode": "couch"})),
             "the new mode file to be picked up")
    assert switch_ok(tree, "couch")
    broken = tree.write_mode("tv", "name: tv\nlooking_glass: maybe\n")
    wait_for(lambda: "config reload refused" in tree.log.read_text(), "the broken edit to be refused")
    assert f"keeping the last good config: {broken}:2:16: expected true or false, got 'maybe'" in tree.log.read_text()
    assert switch_ok(tree, "tv")  # the last good tv mode still works
    assert status(tree)["mode"] == "tv"
    done = tree.cli("reload")
    assert done.returncode == 1
    assert done.stderr == f"modeswitch: {broken}:2:16: expected true or false, got 'maybe'\n"


def test_notify_socket_gets_ready() -> None:
    tree = make_tree()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        address = tree.root / "notify.sock"
        listener.bind(str(address))
        listener.settimeout(30)
        proc = tree.start_daemon(NOTIFY_SOCKET=str(address))
        fields = dict(line.split("=", 1) for line in listener.recv(4096).decode().splitlines())
        assert fields["READY"] == "1" and fields["MAINPID"] == str(proc.pid)
        assert fields["STATUS"] == "tv (idle)"
        assert tree.stop(proc) == 0
        assert "STOPPING=1" in listener.recv(4096).decode()
    finally:
        listener.close()
        tree.cleanup()


# --- fuzzing the socket ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shared_daemon() -> Iterator[Tree]:
    with subreaper(), tree_with_daemon() as (tree, _):
        yield tree


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(max_size=300).map(lambda b: b.replace(b"\n", b"")), min_size=1, max_size=4))
def test_random_bytes_never_hang_or_crash(shared_daemon: Tree, lines: list[bytes]) -> None:
    replies = send_raw(shared_daemon.socket, b"".join(line + b"\n" for line in lines), timeout=10)
    assert len(replies) == len(lines)
    for reply in replies:
        assert reply["v"] == 1 and isinstance(reply["ok"], bool)
        if not reply["ok"]:
            assert isinstance(reply["error"]["type"], str) and reply["error"]["type"] != "InternalError"
            assert isinstance(reply["error"]["message"], str) and "\n" not in reply["error"]["message"]


def test_after_fuzzing_the_daemon_still_answers(shared_daemon: Tree) -> None:
    assert status(shared_daemon)["phase"] == "idle"
    assert "Traceback" not in shared_daemon.log.read_text()


# --- CLI exit codes ------------------------------------------------------------------------------

def test_exit_1_for_an_unknown_mode(daemon: tuple[Tree, subprocess.Popen[bytes]]) -> None:
    tree, _ = daemon
    done = tree.cli("switch", "couch")
    assert done.returncode == 1
    assert done.stderr == "modeswitch: unknown mode 'couch' (expected one of: desk, tv)\n"


def test_exit_2_for_a_failing_before_hook(daemon: tuple[Tree, subprocess.Popen[bytes]]) -> None:
    tree, _ = daemon
    tree.write_mode("bad", "name: bad\nlooking_glass:\n  run: true\n  argv: [sleep, '1000']\n"
                    f"hooks:\n  before:\n    - argv: [touch, {tree.files}/b]\n      undo: [rm, {tree.files}/b]\n"
                    "    - argv: [sh, -c, 'echo no TV found >&2; exit 4']\n")
    assert tree.cli("reload").returncode == 0
    done = tree.cli("switch", "bad")
    assert done.returncode == 2, done.stderr
    assert "bad: failed, rolled back: hook sh exited 4: no TV found" in done.stdout
    seen = status(tree)
    assert (seen["mode"], seen["phase"]) == ("tv", "failed")
    assert seen["error"] == "hook sh exited 4: no TV found"
    assert seen["seat"]["viewer"]["running"] is False and list(tree.files.iterdir()) == []
    record = json.loads(tree.cli("history", "--json").stdout)["records"][-1]
    assert (record["ok"], record["failed_step"]) == (False, "before-hook sh -c echo no TV found >&2; exit 4")
    assert [s["ok"] for s in record["rolled_back"]] == [True]


def test_exit_codes_without_a_daemon() -> None:
    tree = make_tree()
    try:
        done = tree.cli("reload")
        assert done.returncode == 3
        assert done.stderr.startswith(f"modeswitch: no daemon at {tree.socket}")
        done = tree.cli("switch", "couch")
        assert done.returncode == 1 and "unknown mode 'couch'" in done.stderr
        (tree.modes / "tv.yaml").write_text("name: tv\nlooking_glas: false\n")
        done = tree.cli("tv")
        assert done.returncode == 1
        assert done.stderr == (f"modeswitch: {tree.modes}/tv.yaml:2:1: unknown key 'looking_glas' "
                               "(did you mean 'looking_glass'?)\n")
    finally:
        tree.cleanup()


def test_in_process_switch_and_status() -> None:
    tree = make_tree()
    with subreaper():
        try:
            done = tree.cli("desk")
            assert done.returncode == 0, done.stderr
            assert "desk: switched" in done.stdout
            pid = tree.viewer_pid()
            assert pid is not None and proc_state(pid) in ("S", "R")  # outlives the one-shot CLI
            assert (tree.files / "desk").exists()
            done = tree.cli("status", "--json")
            assert done.returncode == 0, done.stderr
            result = json.loads(done.stdout)
            assert (result["mode"], result["phase"], result["daemon"]) == ("desk", "idle", None)
            assert result["seat"]["viewer"]["running"] is True and result["seat"]["viewer"]["pid"] == pid
            done = tree.cli("tv")
            assert done.returncode == 0, done.stderr
            reap(pid)  # an orphan of the first CLI: ours to reap
            assert proc_state(pid) is None
            assert json.loads(tree.cli("status", "--json").stdout)["mode"] == "tv"
            assert [r["target"] for r in json.loads(tree.cli("history", "--json").stdout)["records"]] == ["desk", "tv"]
        finally:
            tree.cleanup()
