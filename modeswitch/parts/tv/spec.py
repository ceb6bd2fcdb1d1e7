"""The tv part: the TV over HDMI-CEC. Pure vocabulary."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TvPower(StrEnum):
    ON = "on"  # <Image View On>
    STANDBY = "standby"  # <Standby>


@dataclass(frozen=True)
class TvSpec:
    """A mode's `tv` part, driven over HDMI-CEC. None fields are left alone."""

    device: str = "/dev/cec0"
    power: TvPower | None = None
    input: bool = False  # `input: active`: <Active Source> with our physical address
    physical_address: int | None = None  # None: the adapter's own (GPU adapters know it)


# VCP 0x60 values by the names a mode uses (MCCS 2.2); a raw code reaches vendor-specific ones.


@dataclass(frozen=True)
class TvObservation:
    """What the CEC adapter and the TV said. `power` is None when the TV did not answer."""

    device: str
    power: str | None = None  # "on", "standby", "to_on", "to_standby"
    physical_address: int | None = None  # the adapter's; None when it does not know it
    active_source: int | None = None  # who the TV shows, if some device answered
    error: str | None = None  # why the adapter could not be used (then nothing else is known)
