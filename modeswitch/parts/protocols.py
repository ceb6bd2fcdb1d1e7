"""The Protocols every backend implements; the engine and daemon only know these."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from modeswitch.model import Step, StepKind
from modeswitch.parts.audio.spec import AudioObservation
from modeswitch.parts.display.spec import DisplayObservation
from modeswitch.parts.guest.spec import GuestObservation
from modeswitch.parts.monitor.spec import MonitorObservation
from modeswitch.parts.tv.spec import TvObservation
from modeswitch.parts.usb.spec import UsbDevice
from modeswitch.parts.viewer.spec import ViewerObservation
from modeswitch.parts.vm.spec import VmObservation

if TYPE_CHECKING:
    from modeswitch.config.loader import Config


@runtime_checkable
class StepExecutor(Protocol):
    """Applies the step kinds it owns. apply() must be idempotent; undo is apply(step.undo)."""

    @property
    def kinds(self) -> frozenset[StepKind]: ...

    async def apply(self, step: Step) -> object:
        """None, or text the step's program printed, which the history record keeps."""


class GuestBackend(StepExecutor, Protocol):
    """Runs programs inside the VM (guest actions) and types hotkeys on its keyboard."""

    async def observe(self) -> GuestObservation: ...

    async def close(self) -> None: ...


class VmBackend(StepExecutor, Protocol):
    async def observe(self) -> VmObservation: ...

    async def close(self) -> None: ...


class UsbInventory(Protocol):
    """Lists the host's USB devices (sysfs); the root is injectable for tests."""

    def scan(self) -> tuple[UsbDevice, ...]: ...

    async def observe(self) -> tuple[UsbDevice, ...]: ...


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


@runtime_checkable
class Reconfigurable(Protocol):
    """A backend kept across a config reload that takes the new settings it does not need to
    be rebuilt for (the viewer's grace period)."""

    def reconfigure(self, config: Config) -> None: ...


@runtime_checkable
class ServerClient(Protocol):
    """A backend for a server that must answer for a reload to be accepted (the sound
    server); its observation says whether it did."""

    refuses_unreachable: bool

    async def observe(self) -> Any: ...
