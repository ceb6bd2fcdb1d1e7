"""The guest part: programs run inside the VM when a mode is entered, and hotkeys typed on its
keyboard; what the guest's agent says about the guest. Pure vocabulary."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class GuestSession(StrEnum):
    """Where a guest action runs: as the agent (Windows: LocalSystem in session 0, no desktop)
    or in the logged-in user's session (their desktop, their default audio device)."""

    SYSTEM = "system"
    USER = "user"


@dataclass(frozen=True)
class GuestAction:
    """A program run inside the VM through qemu-guest-agent when a mode is entered."""

    argv: tuple[str, ...]
    timeout: float = 30.0
    undo: tuple[str, ...] | None = None
    session: GuestSession = GuestSession.SYSTEM
    user: str | None = None  # None: the one user the agent reports logged in


@dataclass(frozen=True)
class KeyChord:
    """Keys pressed in this order and released together: canonical KEY_* names, Linux codes."""

    names: tuple[str, ...]
    codes: tuple[int, ...]


@dataclass(frozen=True)
class GuestKeys:
    """A hotkey typed on the guest's keyboard through libvirt (virDomainSendKey): no agent."""

    keys: KeyChord
    hold: float = 0.05  # seconds the keys stay down
    undo: KeyChord | None = None


GuestEntry = GuestAction | GuestKeys


@dataclass(frozen=True)
class GuestObservation:
    """What the guest's agent says about the guest: `users` None when it could not be asked
    (VM off, agent not answering), () when nobody is logged in."""

    agent: str  # connected, disconnected, no-channel, vm-off, unknown
    os_id: str | None = None  # guest-get-osinfo's id: "mswindows", "debian", ...
    os_name: str | None = None  # its pretty-name, else name and kernel release
    agent_version: str | None = None
    users: tuple[str, ...] | None = None  # DOMAIN\user on Windows, user elsewhere
    error: str | None = None

    @property
    def windows(self) -> bool:
        return self.os_id == "mswindows"
