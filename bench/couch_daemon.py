"""The real modeswitch daemon for bench_couch.py, started preloaded with umockdev so its
gamepad triggers read the emulated host pad of the bench's Testbed. Its USB inventory is a
stand-in sysfs tree whose pads are emulated USB keyboards (hot-plugged into the guest by the
VM backend), its usbmon root a directory whose usbmon1 is the bench's FIFO; everything else
(VM backend on the private libvirtd, viewer supervisor, triggers, control socket) is what
`modeswitch daemon` builds from the config.

    LD_PRELOAD=libumockdev-preload.so.0 UMOCKDEV_DIR=... python bench/couch_daemon.py CONFIG SYSFS USBMON RUNTIME STATE
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

from modeswitch.config.loader import Config, load_config
from modeswitch.core.seat import Seat
from modeswitch.daemon.compose import EventHandler, build_seat
from modeswitch.daemon.service import Daemon, SeatBuilder
from modeswitch.parts.usb.sysfs import SysfsUsbInventory
from modeswitch.parts.vm.backend import LibvirtBackend
from modeswitch.paths import Paths
from modeswitch.sandbox.stand_in_usb import StandInXml


def stand_in_builder(sysfs: Path) -> SeatBuilder:
    async def build(config: Config, paths: Paths, on_event: EventHandler) -> Seat:
        inventory = SysfsUsbInventory(sysfs)
        vm = LibvirtBackend(config.libvirt_uri, config.domain, inventory, lambda e: on_event("vm", e),
                            usb_xml=StandInXml(inventory))
        await vm.connect()
        return await build_seat(config, paths, on_event, given={"vm": vm, "usb": inventory})

    return build


def main() -> None:
    config_path, sysfs, usbmon, runtime, state = (Path(arg) for arg in sys.argv[1:6])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = load_config(config_path, required=True)
    daemon = Daemon(config, Paths(runtime=runtime, state=state), config_path, build=stand_in_builder(sysfs),
                    usbmon_root=usbmon)
    asyncio.run(daemon.run())


if __name__ == "__main__":
    main()
