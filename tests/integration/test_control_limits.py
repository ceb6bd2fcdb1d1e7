"""Idle or piled-up control connections cannot starve the seat's own clients.

The daemon's file descriptors are counted from /proc with a thousand idle clients attached;
the limits themselves are checked on a real ControlServer with small numbers."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import socket
from pathlib import Path
from typing import Any

from crash_fixtures import end_tree
from daemon_fixtures import make_tree

from modeswitch import protocol
from modeswitch.daemon.control import MAX_CLIENTS, ControlServer


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_a_thousand_idle_clients_do_not_exhaust_the_daemon() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    count = min(1000, hard - 64)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, count + 64)), hard))
    tree = make_tree()
    clients: list[socket.socket] = []
    try:
        daemon = tree.start_daemon()
        before = open_fds(daemon.pid)
        for _ in range(count):
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.connect(str(tree.socket))  # blocking: waits while the backlog is full
            client.settimeout(30)
            clients.append(client)
        status = tree.cli("status", "--json")  # the seat's own client still gets through
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["daemon"]["pid"] == daemon.pid
        during = open_fds(daemon.pid)
        print(f"daemon fds: {before} before, {during} with {count} idle clients")
        assert during <= before + MAX_CLIENTS + 4
        evicted = clients[0].recv(4096)
        assert json.loads(evicted)["error"]["type"] == "Idle"
        assert clients[0].recv(4096) == b""  # and then closed
        assert tree.stop(daemon) == 0
    finally:
        for client in clients:
            client.close()
        end_tree(tree)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def _ask(path: Path, verb: str = "ping") -> dict[str, Any]:
    reader, writer = await asyncio.open_unix_connection(str(path))
    writer.write(protocol.encode({"verb": verb}))
    reply = json.loads(await reader.readline())
    writer.close()
    return reply


def test_limits_on_a_real_server(tmp_path: Path) -> None:
    release = asyncio.Event()
    switching: list[dict[str, Any]] = []

    async def handler(verb: protocol.Verb, message: dict[str, Any]) -> dict[str, Any]:
        if verb is protocol.Verb.SWITCH:
            switching.append(message)
            await release.wait()  # a switch that takes its time
        return {"verb": verb.value}

    async def scenario() -> None:
        server = ControlServer(tmp_path / "control.sock", handler, max_clients=2, idle_timeout=0.5)
        await server.start()
        try:
            # two idle connections: a third client makes room by closing the oldest
            idle_reader, _idle_writer = await asyncio.open_unix_connection(str(server.path))
            _second = await asyncio.open_unix_connection(str(server.path))
            await asyncio.sleep(0.1)
            assert (await _ask(server.path))["result"] == {"verb": "ping"}
            assert json.loads(await idle_reader.readline())["error"]["type"] == "Idle"
            assert await idle_reader.read() == b""
            # a client that never sends a request is closed with a reason
            reader, _writer = await asyncio.open_unix_connection(str(server.path))
            assert json.loads(await reader.readline())["error"]["message"] == "closed: no request within 0.5 s"
            # two switches waiting for answers fill the server: the next client is refused, not queued
            switches = [asyncio.ensure_future(_ask(server.path, "switch")) for _ in range(2)]
            while len(switching) < 2:
                await asyncio.sleep(0.01)
            refused = await _ask(server.path, "status")
            assert refused["error"]["type"] == "TooManyConnections"
            release.set()
            assert [reply["ok"] for reply in await asyncio.gather(*switches)] == [True, True]
        finally:
            await server.stop()

    asyncio.run(scenario())
