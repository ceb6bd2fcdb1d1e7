"""The control protocol's messages: newline-delimited JSON over a Unix socket.

Request:  {"v": 1, "verb": "switch", "mode": "tv"}
Reply:    {"v": 1, "ok": true, "result": {...}}  or  {"v": 1, "ok": false, "error": {"type", "message"}}

The daemon encodes and validates with json here; the thin client (ipc.py) reads the same lines
with wire.py, which is json's own C scanner without json's import cost.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from modeswitch.errors import ProtocolError
from modeswitch.ipc import MAX_MESSAGE, VERSION


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
