"""The `tv` (HDMI-CEC) and `monitor` (DDC/CI) parts of a mode file → model objects."""

from __future__ import annotations

from modeswitch.errors import ConfigError
from modeswitch.model import Mode


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
