"""Reads a mode file's `tv` part."""

from __future__ import annotations

from modeswitch.config.yamlnodes import Node
from modeswitch.parts.tv.spec import TvPower, TvSpec
from modeswitch.suggest import suggest


def read_tv(node: Node) -> TvSpec:
    keys = node.mapping({"device", "power", "input", "physical_address"})
    if "power" not in keys and "input" not in keys:
        raise node.error("tv needs 'power' or 'input'", "e.g. {power: on, input: active}")
    device = keys["device"].string() if "device" in keys else "/dev/cec0"
    if not device.startswith("/dev/"):
        raise keys["device"].error(f"'{device}' is not a device path", "use /dev/cec0 (ls /dev/cec*)")
    return TvSpec(
        device=device,
        power=_read_power(keys["power"]) if "power" in keys else None,
        input=_read_input(keys["input"]) if "input" in keys else False,
        physical_address=_read_address(keys["physical_address"]) if "physical_address" in keys else None,
    )


def _read_power(node: Node) -> TvPower:
    value = node.scalar().lower()
    try:
        return TvPower({"true": "on", "false": "standby"}.get(value, value))
    except ValueError:
        raise node.error(f"unknown tv power '{value}'", suggest(value, {p.value for p in TvPower})) from None


def _read_input(node: Node) -> bool:
    value = node.scalar()
    if value != "active":
        raise node.error(f"unknown tv input '{value}'", "the only input is 'active' (this PC's HDMI port)")
    return True


def _read_address(node: Node) -> int:
    """`1.0.0.0`: the path of HDMI ports from the TV (the TV's HDMI 2 is 2.0.0.0)."""
    text = node.scalar()
    parts = text.split(".")
    if len(parts) != 4 or not all(len(p) == 1 and p in "0123456789abcdefABCDEF" for p in parts):
        raise node.error(f"'{text}' is not a physical address", "write it like 1.0.0.0 (quoted is fine)")
    address = int("".join(parts), 16)
    if address in (0x0000, 0xFFFF):
        raise node.error(f"{text} is not a source's address", "0.0.0.0 is the TV itself; use e.g. 1.0.0.0")
    return address
