"""Everything the checks look at, gathered once. The checks themselves are pure functions
of these facts plus file reads below the injectable roots."""

from __future__ import annotations

from dataclasses import dataclass, field

from modeswitch.config.loader import Config
from modeswitch.doctor.domain import DomainFacts
from modeswitch.doctor.roots import Roots
from modeswitch.parts.audio.spec import AudioObservation
from modeswitch.parts.guest.spec import GuestObservation


@dataclass(frozen=True)
class LibvirtFacts:
    uri: str
    domain_name: str
    error: str | None = None  # could not connect at all (with the hint)
    read_only: bool = False  # connected, but only read-only: no rights to manage domains
    domain: DomainFacts | None = None
    domain_error: str | None = None
    active: bool | None = None


@dataclass(frozen=True)
class CommandResult:
    """What a command printed; `error` when it could not run (not installed, timed out)."""

    returncode: int | None
    output: str = ""
    error: str | None = None


@dataclass(frozen=True)
class Facts:
    roots: Roots
    config: Config
    config_error: str | None
    libvirt: LibvirtFacts
    audio: AudioObservation | None
    viewer_version: CommandResult | None  # None: looking-glass-client is not on PATH
    viewer_path: str | None
    unit_enabled: CommandResult
    unit_active: CommandResult
    notifications: CommandResult = CommandResult(None, error="not asked")  # the server's name and version
    resolution: tuple[int, int] = (1920, 1080)
    resolution_source: str = "default"
    shipped_rules: str | None = None
    session: str | None = None  # the desktop session displays are set in (x11, sway, gnome, kde, wlroots)
    notes: tuple[str, ...] = field(default_factory=tuple)
    audio_modules: tuple[str, ...] = ()  # the sound server's loaded modules (switch-on-connect undoes a mode)
    guest: GuestObservation | None = None  # asked only when a mode has guest actions and the VM runs

    def modes_using(self, part: str) -> list[str]:
        return sorted(name for name, mode in self.config.modes.items() if getattr(mode, part) is not None)

    def viewer_wanted(self) -> bool:
        return any(mode.viewer is not None and mode.viewer.run for mode in self.config.modes.values())
