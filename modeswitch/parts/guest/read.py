"""Reads a mode file's `guest` part."""

from __future__ import annotations

from modeswitch.config.yamlnodes import Node
from modeswitch.parts.guest.spec import GuestAction


def _read_guest_action(node: Node) -> GuestAction:
    keys = node.mapping({"argv", "timeout", "undo"})
    if "argv" not in keys:
        raise node.error("a guest action needs 'argv'",
                         r"e.g. {argv: ['C:\Windows\System32\DisplaySwitch.exe', /external]}")
    return GuestAction(
        argv=keys["argv"].argv(),
        timeout=keys["timeout"].number(0.1, 3600) if "timeout" in keys else 30.0,
        undo=keys["undo"].argv() if "undo" in keys else None,
    )


def read_guest(node: Node) -> tuple[GuestAction, ...]:
    return tuple(_read_guest_action(item) for item in node.items())
