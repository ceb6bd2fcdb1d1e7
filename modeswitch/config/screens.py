"""The `tv` (HDMI-CEC) and `monitor` (DDC/CI) parts of a mode file → model objects."""

from __future__ import annotations

from modeswitch.config.yamlnodes import Node
from modeswitch.errors import ConfigError
from modeswitch.model import MONITOR_INPUTS, Mode, MonitorSpec, TvPower, TvSpec
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


def check_one_adapter(modes: list[Mode]) -> None:
    """Every mode must name the same CEC adapter and the same monitor: the seat observes one of
    each, and a mode planned against another one's observation would switch the wrong thing."""
    tvs = [(m, m.tv.device) for m in modes if m.tv is not None]
    monitors = [(m, (m.monitor.model, m.monitor.serial, m.monitor.bus)) for m in modes if m.monitor is not None]
    for part, fix, named in (("tv", "device", tvs), ("monitor", "model/serial/bus", monitors)):
        for mode, key in named[1:]:
            first, first_key = named[0]
            if key != first_key:
                raise ConfigError(str(mode.source), None, None,
                                  f"mode '{mode.name}' names another {part} than mode '{first.name}' ({first.source})",
                                  f"use the same {fix} in every mode")
