"""The usbmon reader on real file descriptors: a FIFO and a Unix socket standing in for
/dev/usbmonN, carrying records laid out as mon_bin.c writes them."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import logging
import os
import socket
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.waiting import until

from modeswitch.sandbox.wireless_stand_in import association, gip_input, pad_data
from modeswitch.triggers.usbmon_reader import FIX_ACCESS, FIX_MODULE, UsbmonPads, VmPad, _open_problem
from modeswitch.triggers.usbmon_sources import NodeSource, SourceGone, StreamSource, open_source
from modeswitch.usbmon.monbin import HEADER_SIZE, BadRecord, RecordStream, pack_record, parse_header
from modeswitch.usbmon.wireless import Adapter

PAD = VmPad(bus=1, device=10, vendor=0x045E, product=0x028E, name="pad one")
OTHER = VmPad(bus=1, device=11, vendor=0x045E, product=0x028E, name="pad two")


def x360(b2: int = 0, b3: int = 0) -> bytes:
    return bytes([0x00, 0x14, b2, b3]) + bytes(16)


def noise_then(report: bytes, device: int = 10) -> bytes:
    """Everything usbmon carries besides the report we want, then the report itself."""
    return b"".join([
        pack_record(busnum=1, devnum=0, event="@"),                                  # filler
        pack_record(busnum=1, devnum=device, event="S", length=32),                  # IN submit
        pack_record(busnum=1, devnum=device, endpoint=0x02, data=bytes(8)),          # OUT completion
        pack_record(busnum=1, devnum=device, data=x360(0xFF, 0xFF), status=-32),     # a stall
        pack_record(busnum=1, devnum=device, event="E", data=x360(0xFF, 0xFF)),      # error event
        pack_record(busnum=1, devnum=3, data=x360(0xFF, 0xFF)),                      # another device
        pack_record(busnum=1, devnum=device, transfer=2, endpoint=0x80, data=bytes(18)),  # control IN
        pack_record(busnum=1, devnum=device, data=report, ts=12.5),
    ])


def test_header_round_trip() -> None:
    record = pack_record(busnum=3, devnum=7, data=b"\x01\x02", ts=1700000000.25, urb_id=0xFFFF8800DEADBEEF)
    assert len(record) == HEADER_SIZE + 2
    parsed, captured = parse_header(record[:HEADER_SIZE])
    assert (parsed.busnum, parsed.devnum, parsed.event, parsed.endpoint, captured) == (3, 7, "C", 0x81, 2)
    assert parsed.ts == pytest.approx(1700000000.25)
    assert parsed.id == 0xFFFF8800DEADBEEF
    # fixed offsets from mon_bin.c's struct mon_bin_hdr
    assert record[8:12] == b"C\x01\x81\x07" and record[12:14] == b"\x03\x00" and record[36:40] == b"\x02\0\0\0"


def test_stream_frames_records_split_anywhere() -> None:
    data = noise_then(x360(0x10))
    for cut in (1, 7, 63, 64, 65, 100, len(data) - 1):
        stream = RecordStream()
        records = [*stream.feed(data[:cut]), *stream.feed(data[cut:])]
        assert len(records) == 8 and records[-1].data == x360(0x10) and stream.pending == 0


@pytest.mark.parametrize("header", [b"\0" * 63, b"\0" * 8 + b"Z" + b"\0" * 55,
                                    pack_record(busnum=1, devnum=1, transfer=9)[:64]])
def test_garbage_headers_are_rejected(header: bytes) -> None:
    with pytest.raises(BadRecord):
        parse_header(header)


class Collector:
    def __init__(self) -> None:
        self.changes: list[tuple[str, str, int]] = []
        self.arrived = asyncio.Event()

    def __call__(self, key: str, label: str, button: str, value: int) -> None:
        self.changes.append((key, button, value))
        self.arrived.set()




def on_loop(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test on a fresh loop (fixtures pass through functools.wraps)."""
    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def make_fifo(root: Path, bus: int) -> Path:
    path = root / f"usbmon{bus}"
    os.mkfifo(path)
    return path


@contextlib.contextmanager
def reading(root: Path, pad: VmPad = PAD) -> Iterator[tuple[UsbmonPads, Collector, int]]:
    """A reader following `pad` on bus 1's FIFO under `root` (call on the loop): the reader,
    what reached its detector, and the FIFO's write end; both closed afterwards."""
    fifo = make_fifo(root, pad.bus)
    seen = Collector()
    pads = UsbmonPads(root, 0.5, seen)
    pads.follow([pad], asyncio.get_running_loop())
    writer = os.open(fifo, os.O_WRONLY)
    try:
        yield pads, seen, writer
    finally:
        pads.close()
        os.close(writer)


@on_loop
async def test_only_in_completions_of_attached_pads_reach_the_detector(tmp_path: Path) -> None:
    with reading(tmp_path) as (pads, seen, writer):
        os.write(writer, noise_then(x360(0x20)) + noise_then(x360(0x30)) + noise_then(x360(0x30), device=11))
        await until(lambda: len(seen.changes) >= 2, "the reader to get there")
        await asyncio.sleep(0.05)
        assert seen.changes == [("usb:1.10", "BTN_SELECT", 1), ("usb:1.10", "BTN_START", 1)]
        assert pads.describe()[0]["source"] == "usbmon (in VM)"
        assert pads.describe()[0]["protocol"] == "xbox360"


@on_loop
async def test_opens_only_while_a_pad_is_held_and_closes_after(tmp_path: Path) -> None:
    make_fifo(tmp_path, 1)
    make_fifo(tmp_path, 2)
    pads = UsbmonPads(tmp_path, 0.5, Collector())
    loop = asyncio.get_running_loop()
    assert pads.open_buses == []
    pads.follow([PAD, VmPad(2, 4, 0x054C, 0x0CE6)], loop)
    assert pads.open_buses == [1, 2]
    pads.follow([OTHER], loop)
    assert pads.open_buses == [1]
    pads.follow([], loop)
    assert pads.open_buses == [] and pads.describe() == []


@on_loop
async def test_missing_node_is_reported_once_with_the_fix(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    pads = UsbmonPads(tmp_path, 0.5, Collector())
    loop = asyncio.get_running_loop()
    pads.follow([PAD], loop)
    pads.follow([PAD, OTHER], loop)
    pads.follow([PAD], loop)
    rows = pads.describe()
    assert rows[0]["source"] == "not readable"
    assert "usbmon is not loaded" in str(rows[0]["reason"]) and rows[0]["fix"] == FIX_MODULE
    assert sum("cannot read pads in the VM" in r.getMessage() for r in caplog.records) == 1


def test_open_problems_say_what_to_do() -> None:
    node = Path("/dev/usbmon1")
    assert _open_problem(node, PermissionError(errno.EACCES, "Permission denied"))[1] == FIX_ACCESS
    assert "not loaded" in _open_problem(node, FileNotFoundError(errno.ENOENT, "No such file"))[0]


@on_loop
async def test_a_vanishing_node_releases_held_buttons_and_the_reader_goes_on(tmp_path: Path) -> None:
    fifo = make_fifo(tmp_path, 1)
    seen = Collector()
    pads = UsbmonPads(tmp_path, 0.5, seen)
    loop = asyncio.get_running_loop()
    pads.follow([PAD], loop)
    writer = os.open(fifo, os.O_WRONLY)
    os.write(writer, pack_record(busnum=1, devnum=10, data=x360(0x10)))
    await until(lambda: len(seen.changes) == 1, "the reader to get there")
    os.close(writer)  # the node goes away under the reader
    await until(lambda: pads.open_buses == [], "the reader to get there")
    assert seen.changes[-1] == ("usb:1.10", "BTN_START", 0)
    assert "went away" in str(pads.describe()[0]["reason"])
    pads.follow([], loop)
    pads.follow([PAD], loop)  # the seat changed: try again
    assert pads.open_buses == [1]
    pads.close()


@on_loop
async def test_a_unix_socket_node_and_a_report_too_short(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(tmp_path / "usbmon3"))
    server.listen(1)
    seen = Collector()
    pads = UsbmonPads(tmp_path, 0.5, seen)
    pads.follow([VmPad(3, 2, 0x057E, 0x2009, "switch")], asyncio.get_running_loop())
    peer, _ = server.accept()
    try:
        short = pack_record(busnum=3, devnum=2, data=bytes([0x30, 0, 0x91]))
        report = pack_record(busnum=3, devnum=2, data=bytes([0x30, 0, 0x91, 0, 0x10, 0]) + bytes(58))
        peer.sendall(short + short + report)
        await until(lambda: bool(seen.changes), "the reader to get there")
        assert seen.changes == [("usb:3.2", "BTN_MODE", 1)]
        assert sum("needs 6" in r.getMessage() for r in caplog.records) == 1
    finally:
        pads.close()
        peer.close()
        server.close()


@on_loop
async def test_unknown_pad_is_recognised_from_its_reports(tmp_path: Path) -> None:
    fifo = make_fifo(tmp_path, 1)
    seen = Collector()
    pads = UsbmonPads(tmp_path, 0.5, seen)
    pads.follow([VmPad(1, 5, 0x2DC8, 0x3106, "8BitDo")], asyncio.get_running_loop())
    writer = os.open(fifo, os.O_WRONLY)
    try:
        os.write(writer, pack_record(busnum=1, devnum=5, data=x360(0x20)))
        await until(lambda: bool(seen.changes), "the reader to get there")
        assert seen.changes == [("usb:1.5", "BTN_SELECT", 1)]
        assert pads.describe()[0]["protocol"] == "xbox360"
    finally:
        pads.close()
        os.close(writer)


@on_loop
async def test_pads_behind_an_xbox_adapter_are_pads_of_their_own(tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    """Frames of two pads on the adapter's bulk-IN endpoint: each pad keyed by its MAC; a
    cut-short frame is one log line; the adapter leaving the VM lets go of what was held."""
    fifo = make_fifo(tmp_path, 1)
    seen = Collector()
    pads = UsbmonPads(tmp_path, 0.5, seen)
    adapter = VmPad(1, 9, 0x045E, 0x02FE, "Xbox Wireless Adapter", adapter=Adapter.XBOX)
    pads.follow([adapter], asyncio.get_running_loop())
    assert pads.describe()[0]["name"] == "pads behind Xbox Wireless Adapter"
    writer = os.open(fifo, os.O_WRONLY)
    one, two = "7e:ed:80:00:00:01", "7e:ed:80:00:00:02"
    transfer = association(one, 1) + pad_data(one, 1, gip_input(0x08)) + pad_data(two, 2, gip_input(0x04))
    try:
        os.write(writer, pack_record(busnum=1, devnum=9, event="S", endpoint=0x84, transfer=3, length=0x8400)
                 + pack_record(busnum=1, devnum=9, endpoint=0x84, transfer=3, data=transfer)
                 + pack_record(busnum=1, devnum=9, endpoint=0x84, transfer=3, data=pad_data(two, 2, gip_input())[:30]))
        await until(lambda: len(seen.changes) >= 2 and "cut-short" in caplog.text, "the reader to get there")
        assert seen.changes == [(f"usb:1.9/{one}", "BTN_SELECT", 1), (f"usb:1.9/{two}", "BTN_START", 1)]
        rows = pads.describe()
        assert [(r["name"], r["source"], r["protocol"], r["adapter"]) for r in rows] == [
            (f"pad {one}", "usbmon (in VM, via Xbox Wireless Adapter)", "gip", "Xbox Wireless Adapter"),
            (f"pad {two}", "usbmon (in VM, via Xbox Wireless Adapter)", "gip", "Xbox Wireless Adapter")]
        pads.follow([], asyncio.get_running_loop())
        assert sorted(seen.changes[2:]) == [(f"usb:1.9/{one}", "BTN_SELECT", 0), (f"usb:1.9/{two}", "BTN_START", 0)]
    finally:
        pads.close()
        os.close(writer)


def test_sources_by_node_type(tmp_path: Path) -> None:
    """A character device is the kernel's node (read with GETX); anything else a stream.
    /dev/null is a character device that is not usbmon: GETX fails with ENOTTY."""
    node = open_source(Path("/dev/null"))
    try:
        assert isinstance(node, NodeSource)
        with pytest.raises(OSError) as failure:
            node.read()
        assert failure.value.errno == errno.ENOTTY
    finally:
        node.close()
    read_end, write_end = os.pipe()
    stream = StreamSource(read_end)
    assert stream.read() == []
    os.write(write_end, pack_record(busnum=1, devnum=1, data=b"ab")[:65])
    assert stream.read() == []
    os.close(write_end)
    with pytest.raises(SourceGone):
        stream.read()
    stream.close()
