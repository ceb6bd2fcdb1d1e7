"""Which USB devices the VM holds are pads, and where each pad's buttons are read from."""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from modeswitch.cli.render_status import print_status
from modeswitch.model import SeatState
from modeswitch.parts.usb.spec import UsbDevice
from modeswitch.parts.vm.spec import AttachedUsb, VmObservation
from modeswitch.sandbox.wireless_stand_in import (
    acl,
    conn_request,
    conn_response,
    connection_complete,
    dualshock4_bt,
    hidp_input,
    l2cap,
)
from modeswitch.triggers.vmpads import VmPadFollower, describe_pads, host_rows, pads_in_vm
from modeswitch.usbmon.monbin import pack_record


def usb(vendor: int, product: int, bus: int, device: int, kind: str | None = "gamepad", name: str = "") -> UsbDevice:
    return UsbDevice(vendor, product, bus, device, f"{bus}-1", name=name, kind=kind)


def held(vendor: int, product: int, bus: int | None, device: int | None) -> AttachedUsb:
    return AttachedUsb(vendor, product, bus, device, xml="<hostdev/>")


@dataclass(frozen=True)
class Identity:
    path: str
    name: str
    vendor: int
    product: int
    gamepad: bool = True


HOST = (usb(0x045E, 0x028E, 1, 10, name="pad one"), usb(0x1234, 0x0001, 1, 11, name="odd pad"),
        usb(0x046D, 0xC31C, 1, 12, kind=None, name="keyboard"), usb(0x054C, 0x09CC, 2, 3, name="ds4"))


def test_pads_in_vm_by_inventory_or_known_ids() -> None:
    vm = VmObservation("win11", True, "running", usb=(
        held(0x045E, 0x028E, 1, 10), held(0x1234, 0x0001, 1, 11), held(0x046D, 0xC31C, 1, 12),
        held(0x045E, 0x02FE, 3, 2), held(0x045E, 0x028E, None, None)))
    pads = pads_in_vm(vm, HOST)
    assert [(p.bus, p.device, p.name) for p in pads] == [(1, 10, "pad one"), (1, 11, "odd pad"), (3, 2, "")]
    assert pads_in_vm(None, HOST) == []


def test_host_pads_without_an_evdev_reader_are_not_readable() -> None:
    evdev = [Identity("/dev/input/event5", "Wireless Controller", 0x054C, 0x09CC)]
    in_vm = pads_in_vm(VmObservation("w", True, "running", usb=(held(0x045E, 0x028E, 1, 10),)), HOST)
    rows = host_rows(evdev, HOST, in_vm)
    assert [(r["name"], r["source"]) for r in rows] == [("Wireless Controller", "host evdev"),
                                                      ("odd pad", "not readable")]
    assert "udev-rules --install" in rows[1]["fix"]


def test_status_lists_every_pad_with_its_source(tmp_path: Path, capsys) -> None:
    async def scenario() -> list[dict[str, object]]:
        seen = SeatState(vm=VmObservation("w", True, "running", usb=(held(0x045E, 0x028E, 1, 10),)), usb=HOST)

        async def observe() -> SeatState:
            return seen

        follower = VmPadFollower.build(tmp_path, 0.5, lambda *_: None, observe)  # no usbmon1 here
        await follower.refresh()
        rows = describe_pads([Identity("/dev/input/event5", "ds4", 0x054C, 0x09CC)], follower)
        follower.close()
        return rows

    rows = asyncio.run(scenario())
    assert [(r["name"], r["source"]) for r in rows] == [
        ("ds4", "host evdev"), ("odd pad", "not readable"), ("pad one", "not readable")]
    assert "usbmon is not loaded" in str(rows[2]["reason"])
    print_status({"mode": "tv", "phase": "idle", "pads": rows})
    out = capsys.readouterr().out
    assert "pad:     pad one (045e:028e) usb 1.10: not readable" in out
    assert "pad:     ds4 (054c:09cc) /dev/input/event5: host evdev" in out
    assert "fix: load it: sudo modprobe usbmon" in out


PLAIN_HID = bytes.fromhex("05010905a101050919012908150025017501950881020501093915012508750895018142c0")


def test_a_generic_hid_pad_is_read_by_the_layout_learnt_on_the_host(tmp_path: Path) -> None:
    """Its report descriptor is in sysfs only while the host drives it: learnt then, used in
    the VM, where the pad's reports come through usbmon."""
    sysfs, dev = tmp_path / "sys", tmp_path / "dev"
    hid = sysfs / "3-2:1.0" / "0003:2DC8:9018.0007"
    hid.mkdir(parents=True)
    (hid / "report_descriptor").write_bytes(PLAIN_HID)
    dev.mkdir()
    os.mkfifo(dev / "usbmon3")
    pad = UsbDevice(0x2DC8, 0x9018, 3, 5, "3-2", name="8BitDo in DInput mode", kind="gamepad")
    on_host = SeatState(vm=VmObservation("w", True, "running"), usb=(pad,))
    in_vm = SeatState(vm=VmObservation("w", True, "running", usb=(held(0x2DC8, 0x9018, 3, 5),)), usb=(pad,))
    changes: list[tuple[str, str, int]] = []

    async def scenario() -> list[dict[str, object]]:
        states = [on_host, in_vm]

        async def observe() -> SeatState:
            return states.pop(0)

        follower = VmPadFollower.build(dev, 0.5, lambda key, _label, b, v: changes.append((key, b, v)), observe,
                                       sysfs=sysfs)
        await follower.refresh()  # on the host: the layout is read
        shutil.rmtree(sysfs)  # passed to the VM: the host's HID node is gone
        await follower.refresh()
        writer = os.open(dev / "usbmon3", os.O_WRONLY | os.O_NONBLOCK)
        os.write(writer, pack_record(busnum=3, devnum=5, data=bytes([0x00, 0x01])))
        for _ in range(500):
            if changes:
                break
            await asyncio.sleep(0.01)
        rows = follower.describe([])
        follower.close()
        os.close(writer)
        return rows

    rows = asyncio.run(scenario())
    assert [(r["name"], r["source"], r.get("protocol")) for r in rows] == [
        ("8BitDo in DInput mode", "usbmon (in VM)", "hid")]
    assert changes == [("usb:3.5", "BTN_DPAD_UP", 1)]


def test_pads_paired_with_a_bluetooth_adapter_in_the_vm_are_read(tmp_path: Path, capsys) -> None:
    """A Bluetooth adapter (the inventory's verdict, from its USB class) in the VM: its HCI
    traffic on usbmon is read, incoming ACL on bulk IN and the host's half of the L2CAP
    handshake on bulk OUT. A USB stick next to it is nothing to say."""
    sysfs, dev = tmp_path / "sys", tmp_path / "dev"
    dev.mkdir()
    os.mkfifo(dev / "usbmon1")
    adapter = UsbDevice(0x8087, 0x0029, 1, 4, "1-4", name="Intel Bluetooth", kind="bluetooth")
    stick = UsbDevice(0x0781, 0x5581, 1, 5, "1-5", name="USB stick", kind=None)
    seen = SeatState(vm=VmObservation("w", True, "running", usb=(held(0x8087, 0x0029, 1, 4),
                                                                   held(0x0781, 0x5581, 1, 5))),
                     usb=(adapter, stick))
    ds4 = "a4:ae:12:00:00:01"
    stream = b"".join([
        pack_record(busnum=1, devnum=4, endpoint=0x81, data=connection_complete(0x0B, ds4)),
        pack_record(busnum=1, devnum=4, endpoint=0x82, transfer=3, data=acl(0x0B, conn_request(3, 0x13, 0x0070))),
        pack_record(busnum=1, devnum=4, event="S", endpoint=0x02, transfer=3,
                    data=acl(0x0B, conn_response(3, 0x0041, 0x0070))),
        pack_record(busnum=1, devnum=4, event="S", endpoint=0x82, transfer=3, length=1021),  # IN submit: no data
        pack_record(busnum=1, devnum=4, endpoint=0x82, transfer=3,
                    data=acl(0x0B, l2cap(0x0041, hidp_input(dualshock4_bt(shoulders=0x10))))),
    ])
    changes: list[tuple[str, str, int]] = []

    async def scenario() -> list[dict[str, object]]:
        async def observe() -> SeatState:
            return seen

        follower = VmPadFollower.build(dev, 0.5, lambda key, _label, b, v: changes.append((key, b, v)), observe,
                                       sysfs=sysfs)
        await follower.refresh()
        writer = os.open(dev / "usbmon1", os.O_WRONLY | os.O_NONBLOCK)
        os.write(writer, stream)
        for _ in range(500):
            if changes:
                break
            await asyncio.sleep(0.01)
        rows = follower.describe([])
        follower.close()
        os.close(writer)
        return rows

    rows = asyncio.run(scenario())
    assert changes == [(f"usb:1.4/{ds4}", "BTN_SELECT", 1)]
    assert [(r["name"], r["source"], r["protocol"], r["adapter"]) for r in rows] == [
        (f"pad {ds4}", "usbmon (in VM, via Bluetooth)", "dualshock4", "Intel Bluetooth")]
    print_status({"mode": "tv", "phase": "idle", "pads": rows})
    out = capsys.readouterr().out
    assert f"pad:     pad {ds4} (8087:0029) usb 1.4: usbmon (in VM, via Bluetooth), dualshock4" in out
    assert "behind Intel Bluetooth; ACL handle 0x000b, CID 0x0041, found by the L2CAP connection" in out
