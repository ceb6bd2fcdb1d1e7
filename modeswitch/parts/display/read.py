"""Reads a mode file's `display` part."""

from __future__ import annotations

from modeswitch.config.yamlnodes import Node
from modeswitch.parts.display.spec import OutputSetting


def _read_output(node: Node) -> OutputSetting:
    keys = node.mapping({"output", "enabled", "mode", "primary", "right_of"})
    if "output" not in keys:
        raise node.error("a display entry needs 'output'", "an xrandr output name such as HDMI-1")
    return OutputSetting(
        output=keys["output"].string(),
        enabled=keys["enabled"].boolean() if "enabled" in keys else True,
        mode=keys["mode"].string() if "mode" in keys else None,
        primary=keys["primary"].boolean() if "primary" in keys else False,
        right_of=keys["right_of"].string() if "right_of" in keys else None,
    )


def read_display(node: Node) -> tuple[OutputSetting, ...]:
    return tuple(_read_output(item) for item in node.items())
