"""Reads a mode file's `vm` part."""

from __future__ import annotations

from modeswitch.config.yamlnodes import Node
from modeswitch.parts.vm.spec import VmPower
from modeswitch.suggest import suggest


def read_vm(node: Node) -> VmPower:
    value = node.string()
    try:
        return VmPower(value)
    except ValueError:
        raise node.error(f"unknown vm state '{value}'", suggest(value, {v.value for v in VmPower})) from None
