"""Builds the vm part's backend: one libvirt domain, which also runs the usb and inputs steps.

An unreachable libvirt is tolerated (observed as disconnected) by the daemon and by `status`,
which report it; a one-shot switch or plan fails on it with one line instead."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from modeswitch.errors import ModeswitchError
from modeswitch.parts.part import BuildContext

if TYPE_CHECKING:
    from modeswitch.config.loader import Config

log = logging.getLogger(__name__)


def wiring(config: Config) -> tuple[object, ...]:
    return (config.libvirt_uri, config.domain)


async def build(ctx: BuildContext) -> object:
    from modeswitch.parts.vm.backend import LibvirtBackend

    vm = LibvirtBackend(ctx.config.libvirt_uri, ctx.config.domain, ctx.built["usb"], ctx.forward("vm"))
    try:
        await vm.connect()
    except ModeswitchError as exc:
        if not ctx.tolerate_unreachable:
            raise
        if ctx.resident:  # status shows the VM as unreachable; a daemon keeps trying
            log.error("libvirt: %s; retrying in the background", exc)
            vm.connect_in_background()
    return vm
