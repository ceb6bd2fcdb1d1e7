"""One `subscribe` connection: the reply, then every seat event as a line, until the client
hangs up (seen as EOF on its side of the socket, even while no event comes) or the daemon
stops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from modeswitch import protocol
from modeswitch.errors import ModeswitchError


async def serve_subscription(streamer: Callable[[dict[str, Any]], Awaitable[AsyncIterator[dict[str, Any]]]],
                             line: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    _verb, message = protocol.decode_request(line)
    try:
        events = await streamer(message)
    except ModeswitchError as exc:
        await _send(writer, protocol.error_reply(type(exc).__name__, str(exc)))
        return
    await _send(writer, protocol.ok_reply({"subscribed": True}))
    gone = asyncio.ensure_future(_until_eof(reader))
    iterator = aiter(events)
    following: asyncio.Future[dict[str, Any]] | None = None
    try:
        while True:
            following = asyncio.ensure_future(anext(iterator))
            await asyncio.wait({following, gone}, return_when=asyncio.FIRST_COMPLETED)
            if gone.done():
                return
            try:
                event = following.result()
            except StopAsyncIteration:
                return
            await _send(writer, {"event": event})
    finally:
        # the pending anext() holds the generator: end it first, so its cleanup (leaving the
        # hub) runs now, also when the daemon cancels this connection on stop
        for task in (following, gone):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        if hasattr(events, "aclose"):
            with contextlib.suppress(Exception):
                await events.aclose()


async def _until_eof(reader: asyncio.StreamReader) -> None:
    """A subscriber sends nothing more; whatever it does send is read and dropped."""
    while await reader.read(4096):
        pass


async def _send(writer: asyncio.StreamWriter, reply: dict[str, Any]) -> None:
    writer.write(protocol.encode(reply))
    await writer.drain()
