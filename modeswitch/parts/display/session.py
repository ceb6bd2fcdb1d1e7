"""Which display backend a desktop session needs, chosen from the session's environment.

On Wayland, xrandr sees only XWayland's outputs and changes nothing, so the compositor's own
interface is used: sway's IPC, Mutter's D-Bus API, KDE's kscreen-doctor, and for every other
Wayland compositor wlr-output-management (labwc, Hyprland, river, Wayfire: the wlroots family
implements it; one that does not is told apart when the backend connects). sway stays on its
IPC: sway 1.7 reports its outputs to that protocol as disabled. The environment is
read each time the display is used, not when the daemon starts: a user daemon may start
before the desktop session exports WAYLAND_DISPLAY and friends.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum

from modeswitch.errors import BackendError
from modeswitch.model import Step, StepKind
from modeswitch.parts.display.spec import DisplayObservation
from modeswitch.parts.protocols import DisplayBackend


class DisplaySession(StrEnum):
    X11 = "x11"
    SWAY = "sway"
    GNOME = "gnome"
    KDE = "kde"
    WLROOTS = "wlroots"


def detect_session(env: Mapping[str, str]) -> DisplaySession:
    """GNOME and KDE by XDG_CURRENT_DESKTOP, sway by SWAYSOCK, any other Wayland session
    through wlr-output-management, X11 by DISPLAY alone.

    A Wayland session has DISPLAY too (XWayland), so Wayland is decided first.
    """
    desktops = {part.strip().lower() for part in env.get("XDG_CURRENT_DESKTOP", "").split(":")}
    wayland = bool(env.get("WAYLAND_DISPLAY")) or env.get("XDG_SESSION_TYPE") == "wayland"
    if wayland:
        if "gnome" in desktops:
            return DisplaySession.GNOME
        if "kde" in desktops:
            return DisplaySession.KDE
        if env.get("SWAYSOCK") or "sway" in desktops:
            return DisplaySession.SWAY
        return DisplaySession.WLROOTS
    if env.get("DISPLAY"):
        return DisplaySession.X11
    raise BackendError("no desktop session to set displays in",
                       "run modeswitch inside the session (DISPLAY or WAYLAND_DISPLAY must be set)")


def backend_for(session: DisplaySession, env: Mapping[str, str]) -> DisplayBackend:
    if session is DisplaySession.SWAY:
        from modeswitch.parts.display.sway import SwayBackend

        return SwayBackend(env=env)
    if session is DisplaySession.WLROOTS:
        from modeswitch.parts.display.wlroots import WlrOutputBackend

        return WlrOutputBackend(env=env)
    if session is DisplaySession.GNOME:
        from modeswitch.parts.display.gnome import MutterBackend

        return MutterBackend(env=env)
    if session is DisplaySession.KDE:
        from modeswitch.parts.display.kde import KscreenBackend

        return KscreenBackend(env=env)
    from modeswitch.parts.display.x11 import XrandrBackend

    return XrandrBackend(env=env)


class SessionDisplay:
    """The display backend of whatever session `env` (else this process's environment) is."""

    kinds = frozenset({StepKind.DISPLAY})

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env = env

    def current(self) -> DisplayBackend:
        env = dict(os.environ if self.env is None else self.env)
        return backend_for(detect_session(env), env)

    async def observe(self) -> DisplayObservation:
        return await self.current().observe()

    async def apply(self, step: Step) -> None:
        await self.current().apply(step)
