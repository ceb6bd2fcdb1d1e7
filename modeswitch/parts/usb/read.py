"""Reads a mode file's `usb` part."""

from __future__ import annotations

from modeswitch.config.yamlnodes import Node
from modeswitch.model import GAMEPAD
from modeswitch.parts.usb.spec import UsbMatch


def _read_usb(node: Node, index: int) -> UsbMatch:
    keys = node.mapping({"name", "vendor", "product", "serial", "port", "kind", "optional"})
    if not set(keys) - {"name", "optional"}:
        raise node.error("a usb entry needs something to match", "vendor/product, serial, port or kind")
    if "product" in keys and "vendor" not in keys:
        raise keys["product"].error("product needs vendor too", "add vendor: 0x....")
    return UsbMatch(
        label=keys["name"].string() if "name" in keys else f"usb[{index}]",
        vendor=keys["vendor"].integer(0, 0xFFFF) if "vendor" in keys else None,
        product=keys["product"].integer(0, 0xFFFF) if "product" in keys else None,
        serial=keys["serial"].string() if "serial" in keys else None,
        port=keys["port"].string() if "port" in keys else None,
        kind=read_kind(keys["kind"]) if "kind" in keys else None,
        optional=keys["optional"].boolean() if "optional" in keys else False,
    )


def read_kind(node: Node) -> str:
    kind = node.string()
    if kind != GAMEPAD:
        raise node.error(f"unknown kind '{kind}'", f"the only kind is '{GAMEPAD}'")
    return kind


def read_usb(node: Node) -> tuple[UsbMatch, ...]:
    return tuple(_read_usb(item, index) for index, item in enumerate(node.items()))
