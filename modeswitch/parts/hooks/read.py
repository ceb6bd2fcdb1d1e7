"""Reads a mode file's `hooks` part."""

from __future__ import annotations

from modeswitch.config.yamlnodes import Node
from modeswitch.parts.hooks.spec import Hook, Hooks


def read_hooks(node: Node) -> Hooks:
    keys = node.mapping({"before", "after"})
    return Hooks(
        before=tuple(_read_hook(i) for i in keys["before"].items()) if "before" in keys else (),
        after=tuple(_read_hook(i) for i in keys["after"].items()) if "after" in keys else (),
    )


def _read_hook(node: Node) -> Hook:
    keys = node.mapping({"argv", "timeout", "undo"})
    if "argv" not in keys:
        raise node.error("a hook needs 'argv'", "e.g. {argv: [notify-send, switching]}")
    return Hook(
        argv=keys["argv"].argv(),
        timeout=keys["timeout"].number(0.1, 600) if "timeout" in keys else 10.0,
        undo=keys["undo"].argv() if "undo" in keys else None,
    )
