"""The monitor part: the input a DDC/CI monitor shows. Pure vocabulary."""

from __future__ import annotations

from dataclasses import dataclass

MONITOR_INPUTS = {"vga1": 0x01, "vga2": 0x02, "dvi1": 0x03, "dvi2": 0x04, "composite1": 0x05, "composite2": 0x06,
                  "svideo1": 0x07, "svideo2": 0x08, "tuner1": 0x09, "tuner2": 0x0A, "tuner3": 0x0B,
                  "component1": 0x0C, "component2": 0x0D, "component3": 0x0E, "dp1": 0x0F, "dp2": 0x10,
                  "hdmi1": 0x11, "hdmi2": 0x12}


@dataclass(frozen=True)
class MonitorSpec:
    """A mode's `monitor` part: the input a DDC/CI monitor shows (VCP 0x60), and which monitor."""

    input: int
    model: str | None = None  # the EDID's monitor name, e.g. "DELL U2415"
    serial: str | None = None  # the EDID's serial string (or its serial number)
    bus: str | None = None  # /dev/i2c-N; None: every bus is searched


@dataclass(frozen=True)
class MonitorObservation:
    """The matched monitor; `input` is None when it did not answer over DDC/CI (see `error`)."""

    bus: str | None = None
    name: str | None = None
    input: int | None = None
    error: str | None = None
