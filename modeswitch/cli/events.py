"""`modeswitch events [--json]`: follow the daemon's seat events, one line each, for status
bars (waybar, polybar: --json gives one JSON object per line) and scripts."""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from modeswitch import protocol
from modeswitch.errors import DaemonUnreachable, ModeswitchError
from modeswitch.paths import Paths


def subscribe(path: Path) -> Iterator[dict[str, Any]]:
    """Yields events until the daemon closes the stream (it stopped)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise DaemonUnreachable(f"no daemon at {path}: {exc.strerror}",
                                    "start it with 'modeswitch daemon'") from None
        sock.sendall(protocol.encode({"verb": protocol.Verb.SUBSCRIBE.value}))
        lines = _lines(sock.makefile("rb"))
        reply = next(lines, None)
        if reply is None:
            raise DaemonUnreachable("the daemon closed the connection without answering")
        if not reply.get("ok"):
            error = reply.get("error") or {}
            raise ModeswitchError(f"the daemon refused to stream events: {error.get('message')}",
                                  "a daemon older than this CLI has no 'subscribe'")
        for message in lines:
            event = message.get("event")
            if isinstance(event, dict):
                yield event


def _lines(stream: Any) -> Iterator[dict[str, Any]]:
    for raw in stream:
        try:
            message = json.loads(raw)
        except ValueError:
            continue
        if isinstance(message, dict):
            yield message


def describe(event: dict[str, Any]) -> str:
    """One line a person reads in a terminal."""
    kind, when = event.get("event"), time.strftime("%H:%M:%S", time.localtime(float(event.get("time") or time.time())))
    source = f" (from {event['source']})" if event.get("source") else ""
    if kind == "request":
        text = f"request   {event.get('target') or event.get('action')}{source}"
    elif kind == "transition.started":
        text = f"switching {event.get('previous') or '?'} -> {event.get('target')}{source}"
    elif kind == "transition.finished":
        text = _finished(event)
    elif kind == "state":
        pending = f", then {event['pending']}" if event.get("pending") else ""
        text = f"state     {event.get('mode') or 'unknown'} ({event.get('phase')}{pending})"
    elif kind == "reload":
        text = "reloaded  " + ", ".join(event.get("modes") or []) if event.get("ok") else \
            f"reload refused: {event.get('error')}"
    elif kind == "dropped":
        text = f"... {event.get('count')} event(s) dropped (this reader fell behind)"
    else:
        text = json.dumps(event, sort_keys=True)
    return f"{when} {text}"


def _finished(event: dict[str, Any]) -> str:
    result, target = event.get("result"), event.get("target")
    if result == "done":
        took = f" in {event['duration_ms']:.0f} ms" if isinstance(event.get("duration_ms"), int | float) else ""
        return f"done      {target}{took}"
    if result == "superseded":
        return f"superseded {target} by {event.get('superseded_by')}"
    return f"{str(result).replace('_', ' '):<9} {target}: {event.get('error')}"


def follow(path: Path, as_json: bool, out: TextIO = sys.stdout) -> int:
    """Runs until the daemon stops (exit 3: a status bar's wrapper restarts us) or ^C."""
    for event in subscribe(path):
        out.write((json.dumps(event, sort_keys=True) if as_json else describe(event)) + "\n")
        out.flush()
    print("modeswitch: the daemon stopped", file=sys.stderr)
    return 3


def command(args: argparse.Namespace) -> int:
    """`modeswitch events [--json]`."""
    return follow(Paths.from_environment().socket, args.json)
