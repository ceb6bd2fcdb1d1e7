"""sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET, silently absent otherwise."""

from __future__ import annotations

import os
import socket


def notify(**fields: str) -> bool:
    """Send e.g. notify(READY="1", STATUS="desk"); returns whether a manager was told."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace socket
        address = "\0" + address[1:]
    payload = "\n".join(f"{key}={value}" for key, value in fields.items()).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        try:
            sock.sendto(payload, address)
        except OSError:
            return False
    return True
