"""The mmapped ring's records (usbmon_ring.py), the reader's timer and a pad leaving the bus,
and the gadgets' descriptors: tables of bytes laid out as mon_bin.c and FunctionFS want them.
The same code runs on a real kernel node in tests/guest/guest_usbmon.py."""

from __future__ import annotations

import asyncio
import os
import struct
import threading
from pathlib import Path

import pytest
from support.waiting import until
from test_usbmon_reader import PAD, Collector, make_fifo, on_loop, reading, x360

from modeswitch.sandbox.gadgets import (
    configfs_writes,
    ds4_report,
    hid_gadget,
    xpad_descriptors,
    xpad_gadget,
    xpad_report,
)
from modeswitch.triggers.usbmon_reader import UsbmonPads
from modeswitch.triggers.usbmon_ring import open_node, records_at, wanted
from modeswitch.triggers.usbmon_sources import NodeSource
from modeswitch.usbmon.monbin import pack_record


def ring_of(*records: bytes) -> tuple[bytes, list[int]]:
    """Records at 64-byte aligned offsets, as the kernel lays them in its ring."""
    ring, offsets = b"", []
    for record in records:
        offsets.append(len(ring))
        ring += record + b"\0" * (-len(record) % 64)
    return ring, offsets


EVENTS = [
    ("IN completion", pack_record(busnum=1, devnum=5, data=x360(0x10)), True),
    ("IN completion ending in an error (a pad leaving)", pack_record(busnum=1, devnum=5, status=-71), True),
    ("IN submit", pack_record(busnum=1, devnum=5, event="S", length=32), False),
    ("filler", pack_record(busnum=0, devnum=0, event="@", data=bytes(100)), False),
    ("OUT submit with data (LED)", pack_record(busnum=1, devnum=5, event="S", endpoint=0x02,
                                               data=bytes([1, 3, 2])), True),
    ("OUT completion", pack_record(busnum=1, devnum=5, endpoint=0x02), False),
]


@pytest.mark.parametrize(("name", "record", "kept"), EVENTS, ids=[e[0] for e in EVENTS])
def test_what_the_ring_hands_on(name: str, record: bytes, kept: bool) -> None:
    ring, offsets = ring_of(pack_record(busnum=1, devnum=9, event="@"), record)
    assert wanted(ring, offsets[1]) is kept


def test_records_are_copied_out_and_fillers_counted() -> None:
    ring, offsets = ring_of(*(e[1] for e in EVENTS))
    records, fillers = records_at(memoryview(ring), offsets)
    assert fillers == 1
    assert [(r.event, r.endpoint, r.status, r.data) for r in records] == [
        ("C", 0x81, 0, x360(0x10)), ("C", 0x81, -71, b""), ("S", 0x02, -115, bytes([1, 3, 2]))]
    assert all(type(r.data) is bytes for r in records)  # not views into the ring


def test_a_node_that_cannot_be_mapped_is_read_with_getx(tmp_path: Path) -> None:
    fd = os.open("/dev/null", os.O_RDONLY)  # a character device that answers no usbmon ioctl
    source = open_node(fd)
    try:
        assert isinstance(source, NodeSource)
    finally:
        source.close()


@on_loop
async def test_a_pad_leaving_the_bus_releases_what_it_held(tmp_path: Path) -> None:
    with reading(tmp_path) as (pads, seen, writer):
        os.write(writer, pack_record(busnum=1, devnum=10, data=x360(0x10)))
        await until(lambda: len(seen.changes) == 1, "the press")
        os.write(writer, pack_record(busnum=1, devnum=10, status=-71))  # unbound / unplugged
        await until(lambda: len(seen.changes) == 2, "the release")
        assert seen.changes == [("usb:1.10", "BTN_START", 1), ("usb:1.10", "BTN_START", 0)]
        assert "left the USB bus" in str(pads.describe()[0]["reason"])
        os.write(writer, pack_record(busnum=1, devnum=10, data=x360(0x20)))  # back: read again
        await until(lambda: len(seen.changes) == 3, "the pad read again")
        assert pads.describe()[0]["source"] == "usbmon (in VM)"


@on_loop
async def test_the_drain_thread_runs_only_while_a_node_is_open(tmp_path: Path) -> None:
    make_fifo(tmp_path, 1)
    pads = UsbmonPads(tmp_path, 0.5, Collector())
    loop = asyncio.get_running_loop()
    assert not pads.draining
    pads.follow([PAD], loop)
    assert pads.draining and pads.open_buses == [1]
    await asyncio.sleep(0.02)  # a FIFO no writer opened yet is not at its end
    assert pads.open_buses == [1]
    pads.follow([], loop)
    assert not pads.draining and pads.open_buses == []
    assert "usbmon-drain" not in [thread.name for thread in threading.enumerate()]  # ended, not left


def test_xpad_functionfs_descriptors() -> None:
    blob = xpad_descriptors()
    magic, length, flags, fs_count, hs_count = struct.unpack_from("<IIIII", blob)
    assert (magic, length, flags, fs_count, hs_count) == (3, len(blob), 3, 3, 3)
    interface = blob[20:29]
    assert interface[5:8] == bytes([0xFF, 0x5D, 0x01]) and interface[4] == 2
    fs_in, fs_out = blob[29:36], blob[36:43]
    assert (fs_in[2], fs_in[3], fs_in[4], fs_in[6]) == (0x81, 3, 32, 4)
    assert (fs_out[2], fs_out[3], fs_out[4], fs_out[6]) == (0x02, 3, 32, 8)
    assert len(blob) == 20 + 2 * (9 + 7 + 7)


def test_configfs_writes_make_directories_before_their_files() -> None:
    for gadget in (hid_gadget("pad"), xpad_gadget("pad")):
        writes = configfs_writes(gadget)
        made: set[str] = {""}  # directories are made with their parents (mkdir -p)
        for path, _value in writes:
            if path.endswith("/"):
                parts = path.rstrip("/").split("/")
                made |= {"/".join(parts[:n]) for n in range(1, len(parts) + 1)}
            else:
                assert path.rpartition("/")[0] in made, path
        assert ("idVendor", f"{gadget.vendor:#06x}".encode()) in writes


def test_reports_carry_the_buttons_where_the_decoders_read_them() -> None:
    assert xpad_report(0x1010)[:4] == bytes([0x00, 0x14, 0x10, 0x10]) and len(xpad_report()) == 20
    report = ds4_report(1 << 1 | 1 << 9)
    assert len(report) == 64 and report[0] == 0x01 and report[5] == 0x28 and report[6] == 0x20
