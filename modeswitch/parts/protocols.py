"""The Protocols every backend implements; the engine and daemon only know these."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from modeswitch.model import (
    AudioObservation,
    DisplayObservation,
    MonitorObservation,
    Step,
    StepKind,
    TvObservation,
    UsbDevice,
    ViewerObservation,
    VmObservation,
)


@runtime_checkable
class StepExecutor(Protocol):
    """Applies the step kinds it owns. apply() must be idempotent; undo is apply(step.undo)."""

    @property
    def kinds(self) -> frozenset[StepKind]: ...

    async def apply(self, step: Step) -> object:
        """None, or text the step's program printed, which the history record keeps."""


class GuestBackend(StepExecutor, Protocol):
    """Runs programs inside the VM (guest actions)."""

    async def close(self) -> None: ...


class VmBackend(StepExecutor, Protocol):
    async def observe(self) -> VmObservation: ...

    async def close(self) -> None: ...


class UsbInventory(Protocol):
    """Lists the host's USB devices (sysfs); the root is injectable for tests."""

    def scan(self) -> tuple[UsbDevice, ...]: ...


class AudioBackend(StepExecutor, Protocol):
    async def observe(self) -> AudioObservation: ...

    async def close(self) -> None: ...


class ViewerBackend(StepExecutor, Protocol):
    grace: float  # seconds between SIGTERM and SIGKILL; a config reload may change it

    async def observe(self) -> ViewerObservation: ...

    async def close(self) -> None: ...


class DisplayBackend(StepExecutor, Protocol):
    async def observe(self) -> DisplayObservation: ...


class TvBackend(StepExecutor, Protocol):
    async def observe(self) -> TvObservation: ...


class MonitorBackend(StepExecutor, Protocol):
    async def observe(self) -> MonitorObservation: ...
