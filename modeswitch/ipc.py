"""The client side of the control socket: one request, one reply (protocol.py has the format).

On the thin client's path, so it uses the C modules under `socket` and `json` (_socket, and
_json through wire.py): those Python modules pull in selectors, array and re, which together
cost about as much as the interpreter's own start.
"""

from __future__ import annotations

import _socket
import os

from modeswitch import wire
from modeswitch.errors import DaemonUnreachable, NoReply, NotYourDaemon

TYPE_CHECKING = False  # typing itself is a few ms the thin client does without
if TYPE_CHECKING:
    from typing import Any

    Location = str | os.PathLike[str]

VERSION = 1
MAX_MESSAGE = 64 * 1024  # a request is a few dozen bytes; anything near this is garbage



def call(path: Location, verb: str, timeout: float = 120.0, **fields: Any) -> dict[str, Any]:
    """Send one request and wait for its reply (blocking; the CLI needs nothing more)."""
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        try:
            sock.connect(os.fspath(path))
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise DaemonUnreachable(
                f"no daemon at {path}: {exc.strerror}", "start it with 'modeswitch daemon'"
            ) from None
        except PermissionError:
            raise not_yours(path) from None
        try:
            sock.sendall(wire.request({"v": VERSION, "verb": verb, **fields}))
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused (another uid, too many connections) and closed before reading: the reply says why
        reply = _read_line(sock)
    finally:
        sock.close()
    try:
        decoded = wire.loads(reply.decode())
    except (ValueError, UnicodeDecodeError):
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


def _read_line(sock: _socket.socket) -> bytes:
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
