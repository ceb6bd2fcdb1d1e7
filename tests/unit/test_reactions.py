"""Which event reconciles which part, as a table: (source part, event) in → parts out."""

from __future__ import annotations

import pytest

from modeswitch.core.reactions import parts_to_reconcile

CASES = [
    # a VM that (re)starts holds none of the devices the mode wants: give them back
    ("vm", "started", {"usb", "inputs", "viewer"}),
    ("vm", "reconnected", {"usb", "inputs", "viewer"}),
    # a VM that stops takes Looking Glass's picture with it
    ("vm", "stopped", {"viewer"}),
    # pausing, resuming or losing libvirt changes nothing a mode asks for: only look again
    ("vm", "paused", set()),
    ("vm", "resumed", set()),
    ("vm", "disconnected", set()),
    # every sound-server event re-plans audio only (a new stream must not start the VM)
    ("audio", "sink-added", {"audio"}),
    ("audio", "server-back", {"audio"}),
    # a pad unplugged or replugged in its own mode: its hostdev is re-planned
    ("usb", "add 1-2", {"usb"}),
    ("usb", "remove 1-2", {"usb"}),
    # an event from a part nobody listens to
    ("tv", "standby", set()),
]


@pytest.mark.parametrize(("source", "event", "expected"), CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_reactions_table(source: str, event: str, expected: set[str]) -> None:
    assert parts_to_reconcile(source, event) == expected
