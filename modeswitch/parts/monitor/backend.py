"""The monitor's input over DDC/CI: find the monitor by its EDID, read and set VCP 0x60.

The trap (ddcutil issue 82, and the same for any DDC/CI client): once a monitor shows another
input, many monitors stop answering DDC/CI on the host's cable, so the host may be unable to
switch it back. A set is therefore never read back (the monitor may already be gone), an
observation that gets no answer says so instead of guessing, and the planner makes the undo a
best effort that says how to switch back by hand.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from modeswitch.errors import BackendError
from modeswitch.model import Step, StepKind
from modeswitch.parts.monitor.device import open_link
from modeswitch.parts.monitor.packets import INPUT_SELECT, DdcError, Edid, VcpValue, parse_edid
from modeswitch.parts.monitor.spec import MonitorObservation


class DdcLink(Protocol):
    """What the backend needs of a monitor's bus; DdcMonitorLink on /dev/i2c-N is the real one."""

    def edid(self) -> bytes: ...

    def get_vcp(self, feature: int) -> VcpValue: ...

    def set_vcp(self, feature: int, value: int) -> None: ...

    def close(self) -> None: ...


def describe(edid: Edid) -> str:
    return " ".join(part for part in (edid.manufacturer, edid.name, edid.serial) if part)


def matches(edid: Edid, model: str | None, serial: str | None) -> bool:
    """Model against the EDID's name; serial against its serial string or serial number."""
    if model is not None and (edid.name or "").casefold() != model.casefold():
        return False
    return serial is None or serial in (edid.serial, str(edid.serial_number))


class DdcBackend:
    """Monitor steps on the monitor matching `model`/`serial` (on `bus`, else any /dev/i2c-*)."""

    kinds = frozenset({StepKind.MONITOR})

    def __init__(self, model: str | None = None, serial: str | None = None, bus: str | None = None, *,
                 dev: Path = Path("/dev"), opener: Callable[[str], DdcLink] = open_link) -> None:
        self.model, self.serial, self.bus = model, serial, bus
        self.dev = dev
        self.opener = opener

    async def observe(self) -> MonitorObservation:
        return await asyncio.to_thread(self._observe)

    def _observe(self) -> MonitorObservation:
        found, seen = self._find()
        if found is None:
            wanted = " ".join(f"{k} '{v}'" for k, v in (("model", self.model), ("serial", self.serial)) if v)
            return MonitorObservation(error=f"no monitor with {wanted or 'an EDID'} on "
                                      f"{self.bus or 'any I2C bus'} (seen: {'; '.join(seen) or 'none'})")
        bus, edid = found
        link = self.opener(bus)
        try:
            value = link.get_vcp(INPUT_SELECT)
        except BackendError as exc:
            return MonitorObservation(bus, describe(edid), error=str(exc))
        finally:
            link.close()
        return MonitorObservation(bus, describe(edid), value.current & 0xFF)  # some report junk high bytes

    def _find(self) -> tuple[tuple[str, Edid] | None, list[str]]:
        seen = []
        for bus in self._buses():
            edid = _read_edid(self.opener, bus)
            if isinstance(edid, BackendError):
                seen.append(str(edid))
            if not isinstance(edid, Edid):
                continue
            seen.append(f"{bus}: {describe(edid)}")
            if matches(edid, self.model, self.serial):
                return (bus, edid), seen
        return None, seen

    def _buses(self) -> Iterable[str]:
        if self.bus is not None:
            return [self.bus]
        return sorted((str(p) for p in self.dev.glob("i2c-*")), key=lambda p: int(p.rsplit("-", 1)[1]))

    async def apply(self, step: Step) -> None:
        if step.kind is not StepKind.MONITOR:
            raise BackendError(f"the DDC/CI backend cannot apply {step.kind.value}")
        await asyncio.to_thread(self._apply, step.args["bus"], step.args["input"])

    def _apply(self, bus: str, value: int) -> None:
        link = self.opener(bus)
        try:
            link.set_vcp(INPUT_SELECT, value)
        finally:
            link.close()


def _read_edid(opener: Callable[[str], DdcLink], bus: str) -> Edid | BackendError | None:
    """A bus without a monitor is skipped while searching; one we may not open is reported."""
    try:
        link = opener(bus)
    except BackendError as exc:
        return exc if "permission" in exc.message else None
    try:
        return parse_edid(link.edid())
    except (BackendError, DdcError):
        return None
    finally:
        link.close()
