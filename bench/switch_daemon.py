"""The real modeswitch daemon for bench_switch.py, with stand-in pads: its USB inventory is a
stand-in sysfs tree and its pads are emulated USB keyboards, everything else is the real
wiring (session libvirtd, PulseAudio, viewer supervisor, hooks, control socket).

    python bench/switch_daemon.py CONFIG SYSFS RUNTIME STATE
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from modeswitch.config.loader import Config, load_config
from modeswitch.core.history import HistoryLog
from modeswitch.core.seat import BackendSet, Seat
from modeswitch.daemon.compose import EventHandler
from modeswitch.daemon.service import Daemon
from modeswitch.parts.audio.backend import PulseAudioBackend
from modeswitch.parts.hooks.backend import HookRunner
from modeswitch.parts.usb.sysfs import SysfsUsbInventory
from modeswitch.parts.viewer.backend import ViewerSupervisor
from modeswitch.parts.vm.backend import LibvirtBackend
from modeswitch.paths import Paths
from modeswitch.sandbox.stand_in_usb import StandInXml


def stand_in_builder(sysfs: Path):  # type: ignore[no-untyped-def]
    async def build(config: Config, paths: Paths, on_event: EventHandler) -> Seat:
        inventory = SysfsUsbInventory(sysfs)
        vm = LibvirtBackend(config.libvirt_uri, config.domain, inventory, lambda e: on_event("vm", e),
                            usb_xml=StandInXml(inventory))
        await vm.connect()
        backends = BackendSet(
            hooks=HookRunner(), vm=vm, usb=inventory,
            audio=PulseAudioBackend(config.pulse_server, lambda e: on_event("audio", e)),
            viewer=ViewerSupervisor(("sleep", "100000"), paths.viewer_pidfile, config.viewer_grace),
        )
        return Seat(config, backends, HistoryLog(paths.history))

    return build


def main() -> None:
    config_path, sysfs, runtime, state = (Path(arg) for arg in sys.argv[1:5])
    config = load_config(config_path, required=True)
    daemon = Daemon(config, Paths(runtime=runtime, state=state), config_path, build=stand_in_builder(sysfs))
    asyncio.run(daemon.run())


if __name__ == "__main__":
    main()
