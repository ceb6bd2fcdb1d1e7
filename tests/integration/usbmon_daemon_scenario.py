"""Child side of test_usbmon_daemon: the real daemon in TV mode on the embedded VM, with a FIFO
standing in for /dev/usbmon1 that carries mon_bin records. Prints what it saw as JSON.

A child of its own because libvirt's embedded driver is bound to one root per process.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from support.waiting import until

from modeswitch import protocol
from modeswitch.config.loader import Config, load_config
from modeswitch.core.history import HistoryLog
from modeswitch.core.seat import BackendSet, Seat
from modeswitch.daemon.compose import EventHandler
from modeswitch.daemon.service import Daemon
from modeswitch.parts.hooks.backend import HookRunner
from modeswitch.paths import Paths
from modeswitch.sandbox.embedded_vm import EmbeddedVm, stand_in_pads
from modeswitch.usbmon.monbin import pack_record

SELECT, START = 0x20, 0x10
PADS = stand_in_pads(2)
NOT_HELD = 13  # a device number on bus 1 that the VM does not hold


def x360(b2: int) -> bytes:
    return bytes([0x00, 0x14, b2, 0x00]) + bytes(16)


def combo(device: int, ts: float) -> bytes:
    """Select, then Select+Start, then nothing: what a pad sends for the chord, with the
    submits and fillers usbmon interleaves."""
    return b"".join([
        pack_record(busnum=1, devnum=device, event="S", ts=ts, length=32),
        pack_record(busnum=1, devnum=device, data=x360(SELECT), ts=ts + 0.01),
        pack_record(busnum=1, devnum=0, event="@"),
        pack_record(busnum=1, devnum=device, data=x360(SELECT | START), ts=ts + 0.02),
        pack_record(busnum=1, devnum=device, data=x360(0), ts=ts + 0.10),
    ])


def write_files(root: Path, vm: EmbeddedVm) -> Path:
    modes = root / "modes"
    modes.mkdir()
    (modes / "desk.yaml").write_text("vm: running\nusb: []\n")
    (modes / "tv.yaml").write_text("vm: running\nusb: [{name: stand-in pads, kind: gamepad}]\n")
    config = root / "config.yaml"
    config.write_text(f'libvirt: {{uri: "{vm.uri}", domain: {vm.domain}}}\ndefault_mode: desk\n'
                      "toggle: [desk, tv]\n"
                      "triggers:\n  combos:\n    - {buttons: [select, start], action: toggle}\n")
    return config


@contextlib.asynccontextmanager
async def running_daemon(root: Path, vm: EmbeddedVm, usbmon_root: Path) -> AsyncIterator[Daemon]:
    config_path = write_files(root, vm)
    config = load_config(config_path, required=True)

    async def build(config: Config, paths: Paths, on_event: EventHandler) -> Seat:
        backend = vm.backend(lambda event: on_event("vm", event))
        await backend.connect()
        return Seat(config, BackendSet(hooks=HookRunner(), vm=backend, usb=vm.inventory()),
                    HistoryLog(paths.history))

    paths = Paths(runtime=root / "run", state=root / "state")
    daemon = Daemon(config, paths, config_path, build=build, usbmon_root=usbmon_root)
    task = asyncio.create_task(daemon.run())
    try:
        await asyncio.wait_for(daemon.ready.wait(), 60)
        yield daemon
    finally:
        daemon.stopping.set()
        await asyncio.wait_for(task, 60)




def open_writer(fifo: Path) -> int:
    try:
        return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise AssertionError(f"the daemon does not read {fifo}: {errno.errorcode.get(exc.errno or 0)}") from None


async def scenario(root: Path) -> dict[str, Any]:
    usbmon_root = root / "dev"
    usbmon_root.mkdir()
    fifo = usbmon_root / "usbmon1"
    os.mkfifo(fifo)
    seen: dict[str, Any] = {}
    async with EmbeddedVm("usbmon-e2e", pads=2, start=False, parent=root) as vm, \
            running_daemon(root, vm, usbmon_root) as daemon:
        pads, coordinator, seat = daemon.vm_pads, daemon.coordinator, daemon.seat
        assert pads is not None and coordinator is not None and seat is not None
        seen["open_in_desk"] = pads.usbmon.open_buses
        seen["tv"] = (await daemon.handle(protocol.Verb.SWITCH, {"mode": "tv"}))["ok"]
        await until(lambda: pads.usbmon.open_buses == [1], "usbmon1 to be opened")
        status = await daemon.handle(protocol.Verb.STATUS, {})
        seen["sources"] = sorted([p["bus"], p["device"], p["source"]] for p in status["pads"])
        writer = open_writer(fifo)
        try:
            os.write(writer, combo(NOT_HELD, 100.0))  # a device the VM does not hold: nothing
            os.write(writer, combo(PADS[0].device, 200.0))
            await until(lambda: coordinator.state.mode == "desk" and coordinator.state.target is None,
                        "the switch back to desk")
            await until(lambda: pads.usbmon.open_buses == [], "usbmon1 to be closed")
        finally:
            os.close(writer)
        seen["mode"] = coordinator.state.mode
        seen["combos"] = [[r["target"], r["source"]] for r in seat.history.tail(10)
                          if "combo" in str(r.get("source"))]
        seen["open_in_desk_again"] = pads.usbmon.open_buses
        # the node vanishes while a pad is in the VM: said in status, the daemon goes on
        seen["tv_again"] = (await daemon.handle(protocol.Verb.SWITCH, {"mode": "tv"}))["ok"]
        await until(lambda: pads.usbmon.open_buses == [1], "usbmon1 to be opened again")
        os.close(open_writer(fifo))  # a writer that goes away: EOF on the node
        await until(lambda: pads.usbmon.open_buses == [], "the vanished node to be let go")
        seen["reason_after_vanish"] = sorted({str(row.get("reason")) for row in pads.usbmon.describe()})
        fifo.unlink()  # and stays gone (the module was unloaded)
        status = await daemon.handle(protocol.Verb.STATUS, {})  # looks, and moves no reader
        seen["after_vanish"] = sorted([p["device"], p["source"], "went away" in str(p.get("reason"))]
                                      for p in status["pads"])
        seen["desk_after_vanish"] = (await daemon.handle(protocol.Verb.SWITCH, {"mode": "desk"}))["ok"]
    return seen


if __name__ == "__main__":
    print(json.dumps(asyncio.run(scenario(Path(sys.argv[1])))))
