"""Builds the display part's backend: X11, sway, GNOME or KDE, whichever session it finds
when it is used."""

from __future__ import annotations

from modeswitch.parts.part import BuildContext


async def build(_ctx: BuildContext) -> object:
    from modeswitch.parts.display.session import SessionDisplay

    return SessionDisplay()
