"""The subscribe verb on a real ControlServer socket: a subscriber that hangs up is let go
(its listener leaves the hub even though no event came), a slow one loses events with a
marker, and the daemon's own stop ends every stream."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

from modeswitch import protocol
from modeswitch.core.events import EventHub, EventKind
from modeswitch.daemon.control import ControlServer
from modeswitch.daemon.feedback import QUEUE_LIMIT, Feedback

GUARD = 20.0


async def _handler(_verb: protocol.Verb, _message: dict[str, Any]) -> dict[str, Any]:
    return {"pong": True}


async def _subscribe(path: Path) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_unix_connection(str(path))
    writer.write(b'{"v":1,"verb":"subscribe"}\n')
    await writer.drain()
    assert json.loads(await reader.readline()) == {"v": 1, "ok": True, "result": {"subscribed": True}}
    assert json.loads(await reader.readline())["event"] == {"event": "state", "mode": "desk"}
    return reader, writer


async def _until(check: Any) -> None:
    deadline = asyncio.get_running_loop().time() + GUARD
    while not check():
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.01)


async def _scenario(path: Path) -> None:
    hub = EventHub(clock=lambda: 1.0)
    feedback = Feedback(hub, None, lambda: True)

    async def streamer(_message: dict[str, Any]) -> Any:
        return feedback.stream({"event": "state", "mode": "desk"})

    server = ControlServer(path, _handler, streamer)
    await server.start()
    try:
        _reader, writer = await _subscribe(path)
        assert hub.listeners == 2  # the notifier's and this subscriber's
        writer.close()
        await _until(lambda: hub.listeners == 1)
        slow_reader, slow_writer = await _subscribe(path)
        for n in range(QUEUE_LIMIT + 40):  # no await in between: the subscriber cannot keep up
            hub.publish(EventKind.REQUEST, n=n)
        events = [json.loads(await asyncio.wait_for(slow_reader.readline(), GUARD))["event"]
                  for _ in range(QUEUE_LIMIT)]
        assert [e["n"] for e in events] == list(range(QUEUE_LIMIT))
        hub.publish(EventKind.RELOAD, ok=True)
        tail = [json.loads(await asyncio.wait_for(slow_reader.readline(), GUARD))["event"] for _ in range(2)]
        assert tail == [{"event": "dropped", "count": 40}, {"event": "reload", "time": 1.0, "ok": True}]
        await server.stop()
        assert await asyncio.wait_for(slow_reader.read(), GUARD) == b""  # the stream ended with the daemon
        slow_writer.close()
        await _until(lambda: hub.listeners == 1)
    finally:
        await server.stop()
        await feedback.close()


def test_subscription_lifecycle_on_a_real_socket() -> None:
    with tempfile.TemporaryDirectory(prefix="mss-") as directory:
        asyncio.run(_scenario(Path(directory) / "control.sock"))
