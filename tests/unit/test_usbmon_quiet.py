"""Unchanged reports dropped by the framing (monbin.QuietReports), on a byte stream and in the
mmapped ring alike: input records in, the records built out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.waiting import until
from test_usbmon_reader import PAD, on_loop, reading
from test_usbmon_ring import ring_of

from modeswitch.triggers.usbmon_ring import records_at
from modeswitch.usbmon.monbin import MonRecord, QuietReports, RecordStream, pack_record
from modeswitch.usbmon.reports import KEY_BYTES, Protocol

WATCHED, OTHER = 5, 6


def x360(buttons: int, stick: int) -> bytes:
    """A wired 360 report: buttons in byte 2, the left stick's X in bytes 6-7."""
    return bytes([0x00, 0x14, buttons, 0, 0, 0, stick, 0]) + bytes(12)


def ds4(buttons: int, counter: int) -> bytes:
    """A DualShock 4 report: shoulder buttons in byte 6, the report counter in byte 7's top bits."""
    data = bytearray(64)
    data[0], data[5], data[6], data[7] = 0x01, 0x08, buttons, counter << 2
    return bytes(data)


def completion(data: bytes, devnum: int = WATCHED, status: int = 0) -> bytes:
    return pack_record(busnum=1, devnum=devnum, data=data, status=status)


# (name, records, which of them come out as records), the watched device a 360 pad
CASES = [
    ("the first report of a pad passes", [completion(x360(0, 1))], [0]),
    ("a stick moving, buttons as before: dropped",
     [completion(x360(0, 1)), completion(x360(0, 2)), completion(x360(0, 3))], [0]),
    ("a button pressed and released passes, each time",
     [completion(x360(0, 1)), completion(x360(0x10, 1)), completion(x360(0x10, 9)), completion(x360(0, 9))],
     [0, 1, 3]),
    ("an IN transfer ending in an error passes (a pad leaving)",
     [completion(x360(0, 1)), completion(b"", status=-71), completion(x360(0, 1))], [0, 1]),
    ("another device's reports are not filtered",
     [completion(x360(0, 1), OTHER), completion(x360(0, 2), OTHER)], [0, 1]),
    ("OUT submits with data pass (LED, rumble)",
     [pack_record(busnum=1, devnum=WATCHED, event="S", endpoint=0x02, data=bytes([1, 3, 2]))] * 2, [0, 1]),
]


def watched() -> QuietReports:
    quiet = QuietReports()
    quiet.watch(WATCHED, KEY_BYTES[Protocol.XBOX360])
    return quiet


def built(records: list[MonRecord], sent: list[bytes]) -> list[int]:
    """Which of the sent records these are (by position: each kept record is matched in order)."""
    out, at = [], 0
    for record in records:
        while (record.devnum, record.event, record.status, record.data) != _key(sent[at]):
            at += 1
        out.append(at)
        at += 1
    return out


def _key(raw: bytes) -> tuple[int, str, int, bytes]:
    (record,) = RecordStream().feed(raw)
    return record.devnum, record.event, record.status, record.data


@pytest.mark.parametrize(("name", "sent", "kept"), CASES, ids=[c[0] for c in CASES])
def test_the_stream_drops_what_is_unchanged(name: str, sent: list[bytes], kept: list[int]) -> None:
    records = RecordStream(completions_only=True).feed(b"".join(sent), watched())
    assert built(records, sent) == kept


@pytest.mark.parametrize(("name", "sent", "kept"), CASES, ids=[c[0] for c in CASES])
def test_the_ring_drops_what_is_unchanged(name: str, sent: list[bytes], kept: list[int]) -> None:
    ring, offsets = ring_of(*sent)
    records, _fillers = records_at(memoryview(ring), offsets, watched())
    assert built(records, sent) == kept


def test_a_stream_cut_anywhere_keeps_the_same_records() -> None:
    sent = [completion(x360(0, n)) for n in range(5)] + [completion(x360(0x20, 5)), completion(x360(0x20, 6))]
    stream = b"".join(sent)
    for cut in range(1, len(stream)):
        framing, quiet = RecordStream(completions_only=True), watched()
        records = framing.feed(stream[:cut], quiet) + framing.feed(stream[cut:], quiet)
        assert built(records, sent) == [0, 5], cut


def test_a_dualshock_4_counter_is_not_a_change_and_forget_lets_the_next_report_pass() -> None:
    quiet = QuietReports()
    quiet.watch(WATCHED, KEY_BYTES[Protocol.DUALSHOCK4])
    assert not quiet.unchanged(WATCHED, ds4(0, 1))
    assert quiet.unchanged(WATCHED, ds4(0, 2))  # only the counter moved
    assert not quiet.unchanged(WATCHED, ds4(0x20, 3))  # Options pressed
    quiet.forget(WATCHED)
    assert not quiet.unchanged(WATCHED, ds4(0x20, 4))  # the same buttons, after a reset: passes
    quiet.unwatch(WATCHED)
    assert not quiet.unchanged(WATCHED, ds4(0x20, 5)) and not quiet.unchanged(WATCHED, ds4(0x20, 6))


@on_loop
async def test_a_pad_back_on_the_bus_still_holding_its_button_presses_it_again(tmp_path: Path) -> None:
    """It left holding Start, so Start was released; its first report back holds Start again,
    and that report is equal, button for button, to the last one before it left."""
    with reading(tmp_path) as (pads, seen, writer):
        os.write(writer, completion(x360(0x10, 1), PAD.device) + completion(x360(0x10, 2), PAD.device))
        await until(lambda: len(seen.changes) == 1, "the press")
        os.write(writer, completion(b"", PAD.device, status=-71))
        await until(lambda: len(seen.changes) == 2, "the release")
        os.write(writer, completion(x360(0x10, 2), PAD.device))
        await until(lambda: len(seen.changes) == 3, "the press again")
        assert seen.changes == [("usb:1.10", "BTN_START", 1), ("usb:1.10", "BTN_START", 0),
                                ("usb:1.10", "BTN_START", 1)]
        assert pads.describe()[0]["source"] == "usbmon (in VM)"
