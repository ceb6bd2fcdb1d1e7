"""Reads a mode file's `inputs` part."""

from __future__ import annotations

from modeswitch.config.yamlnodes import Node
from modeswitch.parts.inputs.spec import EvdevInput


def read_inputs(node: Node) -> tuple[EvdevInput, ...]:
    inputs = []
    for item in node.items():
        keys = item.mapping({"path", "grab_all", "grab_toggle", "repeat"})
        if "path" not in keys:
            raise item.error("an input needs 'path'", "e.g. /dev/input/by-id/usb-…-event-kbd")
        path = keys["path"].string()
        if not path.startswith("/dev/input/"):
            raise keys["path"].error(f"'{path}' is not an input device", "use a /dev/input/by-id/… path")
        inputs.append(EvdevInput(
            path=path,
            grab_all=keys["grab_all"].boolean() if "grab_all" in keys else True,
            grab_toggle=keys["grab_toggle"].string() if "grab_toggle" in keys else "ctrl-ctrl",
            repeat=keys["repeat"].boolean() if "repeat" in keys else True,
        ))
    return tuple(inputs)
