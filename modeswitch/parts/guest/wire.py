"""Builds the guest part's backend. Guest actions talk to the agent on a connection of their
own: a program running in the guest for seconds must not hold up the VM backend's calls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modeswitch.errors import ModeswitchError
from modeswitch.parts.part import BuildContext

if TYPE_CHECKING:
    from modeswitch.config.loader import Config


def wiring(config: Config) -> tuple[object, ...]:
    return (config.libvirt_uri, config.domain)


async def build(ctx: BuildContext) -> object:
    from modeswitch.parts.guest.backend import GuestActions, LibvirtGuestAgent

    agent = LibvirtGuestAgent(ctx.config.libvirt_uri, ctx.config.domain)
    try:
        await agent.connect()
    except ModeswitchError:
        if not ctx.tolerate_unreachable:
            raise
    return GuestActions(agent)
