"""Reads a mode file's `monitor` part."""

from __future__ import annotations

from modeswitch.config.yamlnodes import Node
from modeswitch.parts.monitor.spec import MONITOR_INPUTS, MonitorSpec
from modeswitch.suggest import suggest


def read_monitor(node: Node) -> MonitorSpec:
    keys = node.mapping({"input", "model", "serial", "bus"})
    if "input" not in keys:
        raise node.error("monitor needs 'input'", "e.g. {input: hdmi1, model: DELL U2415}")
    bus = keys["bus"].string() if "bus" in keys else None
    if bus is not None and not bus.startswith("/dev/i2c-"):
        raise keys["bus"].error(f"'{bus}' is not an I2C bus", "use /dev/i2c-N (ls /dev/i2c-*)")
    return MonitorSpec(
        input=_read_monitor_input(keys["input"]),
        model=keys["model"].string() if "model" in keys else None,
        serial=keys["serial"].scalar() if "serial" in keys else None,
        bus=bus,
    )


def _read_monitor_input(node: Node) -> int:
    """`hdmi1`, `dp2`, … (MCCS names) or a raw VCP 0x60 value such as 0x1b for vendor inputs."""
    value = node.scalar()
    if value.lower() in MONITOR_INPUTS:
        return MONITOR_INPUTS[value.lower()]
    try:
        code = int(value, 0)
    except ValueError:
        close = suggest(value, set(MONITOR_INPUTS))
        hint = close if close.startswith("did you mean") else "hdmi1, hdmi2, dp1, dp2, dvi1, vga1 … or a code like 0x11"
        raise node.error(f"unknown monitor input '{value}'", hint) from None
    if not 0 < code <= 0xFF:
        raise node.error(f"monitor input {value} is out of range", "use 0x01..0xff")
    return code
