"""The control protocol: newline-delimited JSON over a Unix socket. The only wire code.

Request:  {"v": 1, "verb": "switch", "mode": "tv"}
Reply:    {"v": 1, "ok": true, "result": {...}}  or  {"v": 1, "ok": false, "error": {"type", "message"}}
"""

from __future__ import annotations

import json
import os
import socket
from enum import StrEnum

from modeswitch.errors import DaemonUnreachable, NoReply, NotYourDaemon, ProtocolError

TYPE_CHECKING = False  # typing itself is a few ms the thin client does without
if TYPE_CHECKING:
    from typing import Any

    Location = str | os.PathLike[str]

VERSION = 1
MAX_MESSAGE = 64 * 1024  # a request is a few dozen bytes; anything near this is garbage


class Verb(StrEnum):
    PING = "ping"
    STATUS = "status"
    SWITCH = "switch"
    PLAN = "plan"
    HISTORY = "history"
    RELOAD = "reload"
    SUBSCRIBE = "subscribe"  # the reply, then one {"event": {...}} line per seat event, until either side closes


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps({"v": VERSION, **message}, separators=(",", ":")).encode() + b"\n"


def decode_request(line: bytes) -> tuple[Verb, dict[str, Any]]:
    """Validate one request line; every rejection is a ProtocolError with a readable reason."""
    if len(line) > MAX_MESSAGE:
        raise ProtocolError(f"message too large ({len(line)} bytes, limit {MAX_MESSAGE})")
    try:
        message = json.loads(line)
    except (ValueError, RecursionError) as exc:  # also over-long integers, too deep nesting
        raise ProtocolError(f"not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise ProtocolError("a request must be a JSON object")
    if type(message.get("v")) is not int or message.get("v") != VERSION:  # true and 1.0 equal 1 too
        raise ProtocolError(f"unsupported protocol version {message.get('v')!r}", f"this daemon speaks v{VERSION}")
    try:
        verb = Verb(str(message.get("verb")))
    except ValueError:
        raise ProtocolError(f"unknown verb {message.get('verb')!r}", "one of: " + ", ".join(Verb)) from None
    return verb, message


def error_reply(kind: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"type": kind, "message": message}}


def ok_reply(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def call(path: Location, verb: Verb, timeout: float = 120.0, **fields: Any) -> dict[str, Any]:
    """Send one request and wait for its reply (blocking; the CLI needs nothing more)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise DaemonUnreachable(
                f"no daemon at {path}: {exc.strerror}", "start it with 'modeswitch daemon'"
            ) from None
        except PermissionError:
            raise not_yours(path) from None
        try:
            sock.sendall(encode({"verb": verb.value, **fields}))
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused (another uid, too many connections) and closed before reading: the reply says why
        reply = _read_line(sock)
    try:
        decoded = json.loads(reply)
    except json.JSONDecodeError:
        raise NoReply("the daemon sent an unreadable reply") from None
    if not isinstance(decoded, dict):
        raise NoReply("the daemon sent an unreadable reply")
    return decoded


def present(path: Location) -> bool:
    """Whether a control socket exists at `path`; a path this user may not even look at is
    another user's, which is an answer of its own (NotYourDaemon), not a reason to go it alone."""
    try:
        os.stat(path)
    except PermissionError:
        raise not_yours(path) from None
    except OSError:
        return False
    return True


def not_yours(path: Location, detail: str | None = None) -> NotYourDaemon:
    owner = _owner(path)
    whose = f" (it belongs to uid {owner})" if owner is not None else ""
    return NotYourDaemon(f"the daemon at {path} is not yours{whose}" + (f": {detail}" if detail else ""),
                         "run modeswitch as that user, or point XDG_RUNTIME_DIR at your own runtime dir")


def _owner(path: Location) -> int | None:
    """The uid of the nearest part of `path` this user can stat that is not this user's."""
    part = os.path.abspath(path)
    while True:
        try:
            uid = os.stat(part).st_uid
        except OSError:
            parent = os.path.dirname(part)
            if parent == part:
                return None
            part = parent
            continue
        return uid if uid != os.getuid() else None


def _read_line(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        except TimeoutError:
            raise NoReply("the daemon did not answer in time", "see 'modeswitch status'") from None
        if not chunk:
            raise NoReply("the daemon stopped before answering",
                          "it rolls back a switch it could not finish; see 'modeswitch status' and 'history'")
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            return b"".join(chunks)
