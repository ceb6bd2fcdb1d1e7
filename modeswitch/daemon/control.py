"""The daemon's side of the control socket: peer check, framing, dispatch. Never crashes.

The socket lives in a 0700 directory and is itself 0600; on top of that each peer's uid is
checked with SO_PEERCRED, so another user cannot switch this seat even if modes are loosened.

Connections are bounded, so a script that opens many and sends nothing cannot use up the
daemon's file descriptors and lock out the seat's own clients: one that sends no request for
`idle_timeout` seconds is closed, and at `max_clients` a new connection makes room by closing
the oldest idle one. Only when every connection waits for an answer is a newcomer refused.
Both sides of a closed connection get a one-line error reply first, never just a hang-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from modeswitch import ipc, protocol
from modeswitch.daemon.subscription import serve_subscription
from modeswitch.errors import DaemonUnreachable, ModeswitchError, ProtocolError

log = logging.getLogger(__name__)

_FLUSH_TIMEOUT = 5.0  # a stopping daemon waits this long for replies still being written
MAX_CLIENTS = 64  # the CLI holds one connection per command; triggers use none
IDLE_TIMEOUT = 60.0  # a client that connected and says nothing this long is gone or stuck

Handler = Callable[[protocol.Verb, dict[str, Any]], Awaitable[dict[str, Any]]]
Streamer = Callable[[dict[str, Any]], Awaitable[AsyncIterator[dict[str, Any]]]]


def peer_uid(sock: socket.socket) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid


def claim_socket_path(path: Path) -> None:
    """Remove a stale socket left by a crashed daemon, but refuse if a live one answers."""
    if not path.exists() and not path.is_symlink():
        return
    try:
        ipc.call(path, protocol.Verb.PING, timeout=2.0)
    except DaemonUnreachable:
        path.unlink(missing_ok=True)
        log.info("removed stale control socket %s", path)
        return
    raise ModeswitchError(f"a modeswitch daemon already runs on {path}", "stop it first, or use the CLI")


class ControlServer:
    def __init__(self, path: Path, handler: Handler, streamer: Streamer | None = None, *,
                 max_clients: int = MAX_CLIENTS, idle_timeout: float = IDLE_TIMEOUT) -> None:
        self.path = path
        self.handler = handler
        self.streamer = streamer  # serves `subscribe`: the connection then carries events
        self.max_clients = max_clients
        self.idle_timeout = idle_timeout
        self._server: asyncio.base_events.Server | None = None
        self._clients: set[asyncio.Task[None]] = set()
        self._idle: dict[asyncio.Task[None], asyncio.StreamWriter] = {}  # oldest first
        self._answering = 0  # requests read and not yet answered
        self._all_answered = asyncio.Event()

    async def start(self) -> None:
        claim_socket_path(self.path)
        old_umask = os.umask(0o177)  # the socket is created 0600, with no window where it is not
        try:
            self._server = await asyncio.start_unix_server(self._client, str(self.path), limit=ipc.MAX_MESSAGE)
        finally:
            os.umask(old_umask)

    async def stop(self) -> None:
        """Stop listening, let every request being answered get its reply out (the daemon has
        resolved them all by now: done, rolled back or cancelled), then close the rest."""
        if self._server is not None:
            self._server.close()
            if self._answering:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._all_answered.wait(), _FLUSH_TIMEOUT)
            for task in list(self._clients):
                task.cancel()
            await asyncio.gather(*self._clients, return_exceptions=True)
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
        self.path.unlink(missing_ok=True)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        if len(self._clients) >= self.max_clients and not self._evict_idle():
            log.warning("refused a control connection: %d connections all wait for answers", len(self._clients))
            await _close_with(writer, "TooManyConnections",
                              f"too many connections ({self.max_clients}) waiting for answers; try again shortly")
            return
        self._clients.add(task)
        try:
            sock = writer.get_extra_info("socket")
            uid = peer_uid(sock)
            if uid != os.getuid():
                log.warning("refused a control connection from uid %d", uid)
                await _send(writer, protocol.error_reply("PermissionDenied", f"uid {uid} may not control this seat"))
                return
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            # only stop() cancels a client, once every pending reply is out; ending the task
            # normally keeps asyncio's stream callback from logging the cancel as an error
            pass
        finally:
            self._clients.discard(task)
            self._idle.pop(task, None)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    def _evict_idle(self) -> bool:
        """Close the connection that has waited longest without a request, to make room."""
        if not self._idle:
            return False
        task, writer = next(iter(self._idle.items()))
        del self._idle[task]
        log.warning("closing an idle control connection: %d connections are open", len(self._clients))
        reason = "closed: idle while the daemon was at its connection limit"
        writer.write(protocol.encode(protocol.error_reply("Idle", reason)))
        writer.close()  # its reader sees the end of the stream and the task finishes
        return True

    async def _read_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes | None:
        """The next request line; None (after telling the client why) if it stays silent too long."""
        task = asyncio.current_task()
        assert task is not None
        self._idle[task] = writer
        try:
            return await asyncio.wait_for(reader.readuntil(b"\n"), self.idle_timeout)
        except TimeoutError:
            await _send(writer, protocol.error_reply("Idle", f"closed: no request within {self.idle_timeout:g} s"))
            return None
        finally:
            self._idle.pop(task, None)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                line = await self._read_request(reader, writer)
                if line is None:
                    return
            except asyncio.LimitOverrunError:
                too_large = f"message too large (limit {ipc.MAX_MESSAGE} bytes)"
                await _send(writer, protocol.error_reply("ProtocolError", too_large))
                return
            except asyncio.IncompleteReadError as exc:
                if exc.partial.strip():
                    await _send(writer, protocol.error_reply("ProtocolError", "message not terminated by a newline"))
                return
            if self.streamer is not None and _is_subscribe(line):
                await serve_subscription(self.streamer, line, reader, writer)
                return
            self._answering += 1
            self._all_answered.clear()
            try:
                await _send(writer, await self._dispatch(line))
            finally:
                self._answering -= 1
                if not self._answering:
                    self._all_answered.set()

    async def _dispatch(self, line: bytes) -> dict[str, Any]:
        try:
            verb, message = protocol.decode_request(line)
            return protocol.ok_reply(await self.handler(verb, message))
        except ProtocolError as exc:
            return protocol.error_reply("ProtocolError", str(exc))
        except ModeswitchError as exc:
            return protocol.error_reply(type(exc).__name__, str(exc))
        except Exception as exc:  # a bug must not take the daemon down with it
            log.exception("request failed")
            return protocol.error_reply("InternalError", f"{type(exc).__name__}: {exc}")


async def _close_with(writer: asyncio.StreamWriter, kind: str, message: str) -> None:
    with contextlib.suppress(ConnectionError):
        await _send(writer, protocol.error_reply(kind, message))
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()


def _is_subscribe(line: bytes) -> bool:
    try:
        return protocol.decode_request(line)[0] is protocol.Verb.SUBSCRIBE
    except ProtocolError:
        return False  # answered as such by the ordinary path


async def _send(writer: asyncio.StreamWriter, reply: dict[str, Any]) -> None:
    writer.write(protocol.encode(reply))
    await writer.drain()
