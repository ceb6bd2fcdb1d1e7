"""Reads a mode file's `viewer` part."""

from __future__ import annotations

from modeswitch.config.yamlnodes import Node
from modeswitch.parts.viewer.spec import ViewerSpec


def read_viewer(node: Node) -> ViewerSpec:
    if isinstance(node.node.value, str):
        return ViewerSpec(run=node.boolean())
    keys = node.mapping({"run", "argv"})
    run = keys["run"].boolean() if "run" in keys else True
    if "argv" in keys:
        return ViewerSpec(run=run, argv=keys["argv"].argv())
    return ViewerSpec(run=run)
