"""The Wayland wire protocol, client side, for the few interfaces the wlroots backend speaks.

Why not libwayland through pywayland: that needs a C build against libwayland-dev and
scanner-generated modules per protocol XML, while the wire format is small and stable
(wayland.freedesktop.org, "Wire Format"): each message is the object id, a word holding
size << 16 | opcode, then 32-bit aligned arguments. Only what wlr-output-management needs is
here (no file descriptors, no arrays). Every interface's events are declared once, as a table
of signatures taken from the protocol XML; `encode`/`decode_args` are pure and table-tested.
"""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from modeswitch.errors import BackendError

DISPLAY_ID = 1
_HEADER = struct.Struct("=II")

# interface → opcode → (event name, signature). i int, u uint, f fixed 24.8, s string,
# o object, n new object (its interface after the colon). Opcodes are the events' order in the XML.
EVENTS: dict[str, dict[int, tuple[str, str]]] = {
    "wl_display": {0: ("error", "ous"), 1: ("delete_id", "u")},
    "wl_registry": {0: ("global", "usu"), 1: ("global_remove", "u")},
    "wl_callback": {0: ("done", "u")},
    "zwlr_output_manager_v1": {0: ("head", "n:zwlr_output_head_v1"), 1: ("done", "u"), 2: ("finished", "")},
    "zwlr_output_head_v1": {
        0: ("name", "s"), 1: ("description", "s"), 2: ("physical_size", "ii"), 3: ("mode", "n:zwlr_output_mode_v1"),
        4: ("enabled", "i"), 5: ("current_mode", "o"), 6: ("position", "ii"), 7: ("transform", "i"),
        8: ("scale", "f"), 9: ("finished", ""), 10: ("make", "s"), 11: ("model", "s"), 12: ("serial_number", "s"),
        13: ("adaptive_sync", "u"),
    },
    "zwlr_output_mode_v1": {0: ("size", "ii"), 1: ("refresh", "i"), 2: ("preferred", ""), 3: ("finished", "")},
    "zwlr_output_configuration_v1": {0: ("succeeded", ""), 1: ("failed", ""), 2: ("cancelled", "")},
    "zwlr_output_configuration_head_v1": {},
}
# Requests by name → opcode, in the XML's order.
REQUESTS: dict[str, dict[str, int]] = {
    "wl_display": {"sync": 0, "get_registry": 1},
    "wl_registry": {"bind": 0},
    "zwlr_output_manager_v1": {"create_configuration": 0, "stop": 1},
    "zwlr_output_head_v1": {"release": 0},
    "zwlr_output_mode_v1": {"release": 0},
    "zwlr_output_configuration_v1": {"enable_head": 0, "disable_head": 1, "apply": 2, "test": 3, "destroy": 4},
    "zwlr_output_configuration_head_v1": {"set_mode": 0, "set_custom_mode": 1, "set_position": 2,
                                          "set_transform": 3, "set_scale": 4},
}

Arg = int | float | str


@dataclass(frozen=True)
class Event:
    sender: int
    interface: str
    name: str
    args: tuple[Arg, ...]


def _string(text: str) -> bytes:
    data = text.encode() + b"\0"
    return struct.pack("=I", len(data)) + data + b"\0" * (-len(data) % 4)


def encode(sender: int, opcode: int, signature: str, args: Sequence[Arg]) -> bytes:
    """One request as bytes: header, then each argument 32-bit aligned."""
    body = b""
    for kind, value in zip(signature, args, strict=True):
        if kind == "s":
            body += _string(str(value))
        elif kind == "f":
            body += struct.pack("=i", round(float(value) * 256))
        elif kind == "i":
            body += struct.pack("=i", int(value))
        else:  # u, o, n: unsigned words
            body += struct.pack("=I", int(value))
    return _HEADER.pack(sender, (_HEADER.size + len(body)) << 16 | opcode) + body


def decode_args(signature: str, body: bytes) -> tuple[Arg, ...]:
    """An event's arguments by its signature (from EVENTS: `n:iface` counts as one `n`)."""
    out: list[Arg] = []
    offset = 0
    for kind in signature.split(":")[0]:
        if kind == "s":
            (length,) = struct.unpack_from("=I", body, offset)
            out.append(body[offset + 4:offset + 4 + max(length - 1, 0)].decode(errors="replace"))
            offset += 4 + length + (-length % 4)
        elif kind in "if":
            (value,) = struct.unpack_from("=i", body, offset)
            out.append(value / 256 if kind == "f" else value)
            offset += 4
        else:
            out.append(struct.unpack_from("=I", body, offset)[0])
            offset += 4
    return tuple(out)


def split(buffer: bytes) -> tuple[list[tuple[int, int, bytes]], bytes]:
    """Whole messages (sender, opcode, body) at the start of `buffer`, and what is left over."""
    messages = []
    while len(buffer) >= _HEADER.size:
        sender, word = _HEADER.unpack_from(buffer)
        size = word >> 16
        if size < _HEADER.size:
            raise BackendError(f"the compositor sent a malformed message (size {size})")
        if len(buffer) < size:
            break
        messages.append((sender, word & 0xFFFF, buffer[_HEADER.size:size]))
        buffer = buffer[size:]
    return messages, buffer


def socket_path(env: Mapping[str, str]) -> str:
    """$WAYLAND_DISPLAY as libwayland resolves it: absolute, or inside $XDG_RUNTIME_DIR."""
    name = env.get("WAYLAND_DISPLAY") or "wayland-0"
    if name.startswith("/"):
        return name
    runtime = env.get("XDG_RUNTIME_DIR")
    if not runtime:
        raise BackendError("XDG_RUNTIME_DIR is not set: no Wayland socket to connect to",
                           "run modeswitch inside the Wayland session")
    return os.path.join(runtime, name)


class Connection:
    """One client connection: objects by id with their interfaces, requests out, events in."""

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except OSError as exc:
            self.sock.close()
            raise BackendError(f"cannot reach the Wayland compositor at {path}: {exc.strerror or exc}",
                               "is WAYLAND_DISPLAY the session's socket?") from None
        self.objects: dict[int, str] = {DISPLAY_ID: "wl_display"}
        self._next_id = 2
        self._buffer = b""

    def close(self) -> None:
        self.sock.close()

    def new_id(self, interface: str) -> int:
        """Client ids are handed out in order; libwayland accepts the next free one only."""
        number, self._next_id = self._next_id, self._next_id + 1
        self.objects[number] = interface
        return number

    def send(self, sender: int, request: str, signature: str = "", *args: Arg) -> None:
        opcode = REQUESTS[self.objects[sender]][request]
        self.sock.sendall(encode(sender, opcode, signature, args))

    def bind(self, registry: int, name: int, interface: str, version: int) -> int:
        number = self.new_id(interface)
        self.send(registry, "bind", "usuu", name, interface, version, number)
        return number

    def events(self) -> list[Event]:
        """Reads until at least one whole message is in; a protocol error becomes BackendError."""
        while True:
            messages, self._buffer = split(self._buffer)
            if messages:
                return [self._event(*message) for message in messages]
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                raise BackendError(f"the Wayland compositor at {self.path} did not answer in time") from None
            if not data:
                raise BackendError(f"the Wayland compositor at {self.path} closed the connection")
            self._buffer += data

    def _event(self, sender: int, opcode: int, body: bytes) -> Event:
        interface = self.objects.get(sender)
        if interface is None:  # an object we already let go of: its events are ignored
            return Event(sender, "", "", ())
        name, signature = EVENTS[interface].get(opcode, ("unknown", ""))
        args = decode_args(signature, body) if name != "unknown" else ()
        if signature.startswith("n:"):
            self.objects[int(args[0])] = signature[2:]
        if interface == "wl_display" and name == "error":
            raise BackendError(f"the Wayland compositor refused a request: {args[2]} (object {args[0]})")
        return Event(sender, interface, name, args)
