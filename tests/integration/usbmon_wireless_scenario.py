"""Child side of test_usbmon_wireless_daemon: the real daemon in TV mode on the embedded VM,
holding stand-ins of an Xbox Wireless Adapter and a Bluetooth adapter, with a FIFO standing
in for /dev/usbmon1 that carries those adapters' traffic as mon_bin records. Prints what it
saw as JSON.

Each adapter carries two pads. First the chord is split across the two pads (and, on
Bluetooth, across two channels of one pad): nothing may fire. Then one pad sends the whole
chord: the daemon switches back to desk.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from usbmon_daemon_scenario import open_writer, until

from modeswitch import protocol
from modeswitch.config.loader import Config, load_config
from modeswitch.core.history import HistoryLog
from modeswitch.core.seat import BackendSet, Seat
from modeswitch.daemon.compose import EventHandler
from modeswitch.daemon.service import Daemon
from modeswitch.parts.hooks.backend import HookRunner
from modeswitch.paths import Paths
from modeswitch.sandbox import wireless_stand_in as ws
from modeswitch.sandbox.embedded_vm import EmbeddedVm, stand_in_adapters
from modeswitch.usbmon.monbin import pack_record

XBOX, BLUETOOTH = stand_in_adapters()
PAD_A, PAD_B = "7e:ed:80:00:00:0a", "7e:ed:80:00:00:0b"
DS4, DUALSENSE = "a4:ae:12:00:00:0c", "e8:47:3a:00:00:0d"
VIEW, MENU = 0x08, 0x04  # GIP byte 4
SHARE, OPTIONS = 0x10, 0x20  # PlayStation buttons byte


def xbox(data: bytes, ts: float) -> bytes:
    """A bulk-IN completion on 0x84, after its submit, as usbmon interleaves them."""
    return (pack_record(busnum=1, devnum=XBOX.device, event="S", endpoint=0x84, transfer=3, length=0x8400, ts=ts)
            + pack_record(busnum=1, devnum=XBOX.device, endpoint=0x84, transfer=3, data=data, ts=ts))


def xbox_stream(ts: float) -> tuple[bytes, bytes]:
    """(split chord: A holds View, B holds Menu, both let go; whole chord from A)."""
    split = b"".join([
        xbox(ws.association(PAD_A, 1), ts), xbox(ws.association(PAD_B, 2), ts),
        xbox(ws.pad_data(PAD_A, 1, ws.gip_input(VIEW, seq=1)), ts + 0.01),
        xbox(ws.pad_data(PAD_B, 2, ws.gip_input(MENU, seq=1)), ts + 0.02),
        xbox(ws.pad_data(PAD_A, 1, ws.gip_input(0, seq=2)) + ws.pad_data(PAD_B, 2, ws.gip_input(0, seq=2)), ts + 0.2),
        pack_record(busnum=1, devnum=XBOX.device, endpoint=0x85, transfer=3, data=ws.unit(bytes(4), 1, 0x04)),
    ])
    chord = b"".join([
        xbox(ws.pad_data(PAD_A, 1, ws.gip_input(VIEW, seq=3)), ts + 1.0),
        xbox(ws.pad_data(PAD_A, 1, ws.gip_input(VIEW | MENU, seq=4)), ts + 1.01),
        xbox(ws.pad_data(PAD_A, 1, ws.gip_input(0, seq=5)), ts + 1.1),
    ])
    return split, chord


def bt_in(data: bytes, interrupt: bool = False) -> bytes:
    endpoint, transfer = (0x81, 1) if interrupt else (0x82, 3)
    return pack_record(busnum=1, devnum=BLUETOOTH.device, endpoint=endpoint, transfer=transfer, data=data)


def bt_out(data: bytes) -> bytes:
    return pack_record(busnum=1, devnum=BLUETOOTH.device, event="S", endpoint=0x02, transfer=3, data=data)


def ds4(handle: int, cid: int, shoulders: int) -> bytes:
    return bt_in(ws.acl(handle, ws.l2cap(cid, ws.hidp_input(ws.dualshock4_bt(shoulders=shoulders)))))


def bluetooth_stream() -> tuple[bytes, bytes]:
    """The DualShock 4 connects (its interrupt channel 0x0041, its control channel 0x0040);
    the DualSense was connected before (only its reports cross). Split: DS4 Share on its
    interrupt channel, Options on its control channel, DualSense Options. Then the DS4's chord."""
    ds = ws.dualsense_bt
    split = b"".join([
        bt_in(ws.connection_complete(0x0B, DS4), interrupt=True),
        bt_in(ws.acl(0x0B, ws.conn_request(1, 0x11, 0x0060))),
        bt_out(ws.acl(0x0B, ws.conn_response(1, 0x0040, 0x0060))),
        bt_in(ws.acl(0x0B, ws.conn_request(2, 0x13, 0x0061))),
        bt_out(ws.acl(0x0B, ws.conn_response(2, 0x0041, 0x0061))),
        ds4(0x0B, 0x0041, SHARE),
        ds4(0x0B, 0x0040, SHARE | OPTIONS),  # a GET_REPORT answer on the control channel: not input
        bt_in(ws.acl(0x0C, ws.l2cap(0x0045, ws.hidp_input(ds(shoulders=OPTIONS))))),
        ds4(0x0B, 0x0041, 0), bt_in(ws.acl(0x0C, ws.l2cap(0x0045, ws.hidp_input(ds(shoulders=0))))),
    ])
    chord = ds4(0x0B, 0x0041, SHARE) + ds4(0x0B, 0x0041, SHARE | OPTIONS) + ds4(0x0B, 0x0041, 0)
    return split, chord


def write_files(root: Path, vm: EmbeddedVm) -> Path:
    modes = root / "modes"
    modes.mkdir()
    (modes / "desk.yaml").write_text("vm: running\nusb: []\n")
    (modes / "tv.yaml").write_text("vm: running\nusb:\n"
                                   f"  - {{vendor: {XBOX.vendor:#06x}, product: {XBOX.product:#06x}}}\n"
                                   f"  - {{vendor: {BLUETOOTH.vendor:#06x}, product: {BLUETOOTH.product:#06x}}}\n")
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

    daemon = Daemon(config, Paths(runtime=root / "run", state=root / "state"), config_path, build=build,
                    usbmon_root=usbmon_root)
    task = asyncio.create_task(daemon.run())
    try:
        await asyncio.wait_for(daemon.ready.wait(), 60)
        yield daemon
    finally:
        daemon.stopping.set()
        await asyncio.wait_for(task, 60)


def rows(status: dict[str, Any]) -> list[list[Any]]:
    return sorted([p["device"], p["name"], p["source"], p.get("protocol"), p.get("adapter")] for p in status["pads"])


async def phase(daemon: Daemon, fifo: Path, split: bytes, chord: bytes, pads: int) -> dict[str, Any]:
    """TV mode, the split chord (nothing may fire: both pads show in status meanwhile), then
    the whole chord from one pad: back to desk."""
    vm_pads, coordinator = daemon.vm_pads, daemon.coordinator
    assert vm_pads is not None and coordinator is not None
    seen: dict[str, Any] = {"tv": (await daemon.handle(protocol.Verb.SWITCH, {"mode": "tv"}))["ok"]}
    await until(lambda: vm_pads.usbmon.open_buses == [1], "usbmon1 to be opened")
    seen["before"] = rows(await daemon.handle(protocol.Verb.STATUS, {}))
    writer = open_writer(fifo)
    try:
        os.write(writer, split)
        await until(lambda: sum(1 for r in vm_pads.usbmon.describe() if r.get("pad")) == pads, "the pads to show")
        seen["during"] = rows(await daemon.handle(protocol.Verb.STATUS, {}))
        seen["mode_after_split"] = coordinator.state.mode
        os.write(writer, chord)
        await until(lambda: coordinator.state.mode == "desk" and coordinator.state.target is None, "desk")
        await until(lambda: vm_pads.usbmon.open_buses == [], "usbmon1 to be closed")
    finally:
        os.close(writer)
    return seen


async def scenario(root: Path) -> dict[str, Any]:
    usbmon_root = root / "dev"
    usbmon_root.mkdir()
    fifo = usbmon_root / "usbmon1"
    os.mkfifo(fifo)
    async with EmbeddedVm("usbmon-wireless", pads=0, start=False, parent=root, extra_usb=(XBOX, BLUETOOTH)) as vm, \
            running_daemon(root, vm, usbmon_root) as daemon:
        assert daemon.seat is not None
        seen = {"xbox": await phase(daemon, fifo, *xbox_stream(100.0), pads=2),
                "bluetooth": await phase(daemon, fifo, *bluetooth_stream(), pads=2)}
        seen["combos"] = [[r["target"], r["source"]] for r in daemon.seat.history.tail(10)
                          if "combo" in str(r.get("source"))]
    return seen


if __name__ == "__main__":
    print(json.dumps(asyncio.run(scenario(Path(sys.argv[1])))))
