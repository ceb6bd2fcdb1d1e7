"""Tables for the Xbox Wireless Adapter: bulk-IN transfers laid out as xone's mt76 structures
and dongle.c read them → button changes per pad, with noise (other pads, other endpoints,
command responses, pairing frames) and bad input (cut-short units, unknown unit types)."""

from __future__ import annotations

import pytest

from modeswitch.sandbox.wireless_stand_in import (
    association,
    client_lost,
    disassociation,
    gip_guide,
    gip_input,
    pad_data,
    radio_frame,
    unit,
)
from modeswitch.usbmon.monbin import MonRecord
from modeswitch.usbmon.xbox_adapter import BadFrame, XboxAdapterDemux, frame, units

ONE, TWO = "7e:ed:80:00:00:01", "7e:ed:80:00:00:02"
VIEW, MENU, A = 0x08, 0x04, 0x10
P, R = 1, 0


def bulk(data: bytes, endpoint: int = 0x84, event: str = "C", length: int | None = None) -> MonRecord:
    return MonRecord(1, event, 3, endpoint, 5, 1, 0, len(data) if length is None else length, 0.0, bytes(8), data)


CASES = [
    ("view+menu from one pad", [association(ONE, 1), pad_data(ONE, 1, gip_input(VIEW)),
                                pad_data(ONE, 1, gip_input(VIEW | MENU, seq=2))],
     [[], [(ONE, "BTN_SELECT", P)], [(ONE, "BTN_START", P)]]),
    ("a pad heard without its association is still told by its MAC",
     [pad_data(TWO, 3, gip_input(A))], [[(TWO, "BTN_SOUTH", P)]]),
    ("two pads in one transfer stay apart",
     [pad_data(ONE, 1, gip_input(VIEW)) + pad_data(TWO, 2, gip_input(MENU))],
     [[(ONE, "BTN_SELECT", P), (TWO, "BTN_START", P)]]),
    ("no L2PAD", [pad_data(ONE, 1, gip_input(A), l2pad=False)], [[(ONE, "BTN_SOUTH", P)]]),
    ("a CCMP header (PN_LEN 2) is skipped", [pad_data(ONE, 1, gip_input(A), pn_len=2)], [[(ONE, "BTN_SOUTH", P)]]),
    ("guide comes alone and merges", [pad_data(ONE, 1, gip_input(VIEW)), pad_data(ONE, 1, gip_guide(True)),
                                      pad_data(ONE, 1, gip_input(VIEW, seq=3))],
     [[(ONE, "BTN_SELECT", P)], [(ONE, "BTN_MODE", P)], []]),
    ("two GIP packets in one frame", [pad_data(ONE, 1, gip_input(VIEW) + gip_guide(True))],
     [[(ONE, "BTN_SELECT", P), (ONE, "BTN_MODE", P)]]),
    ("disassociation lets go", [pad_data(ONE, 1, gip_input(VIEW | MENU)), disassociation(ONE, 1)],
     [[(ONE, "BTN_SELECT", P), (ONE, "BTN_START", P)], [(ONE, "BTN_SELECT", R), (ONE, "BTN_START", R)]]),
    ("client lost (WCID only) lets go of that pad alone",
     [pad_data(ONE, 1, gip_input(VIEW)) + pad_data(TWO, 2, gip_input(VIEW)), client_lost(2)],
     [[(ONE, "BTN_SELECT", P), (TWO, "BTN_SELECT", P)], [(TWO, "BTN_SELECT", R)]]),
    ("command responses, pairing requests, the pair button: nothing",
     [unit(bytes(8), cmd_seq=1), unit(radio_frame(ONE, 1, 0x0070, bytes([0x70, 0x01]))),
      unit(bytes(4), port=1, event=0x04)], [[], [], []]),
    ("an accessory's input (client id 1) is not the pad's",
     [pad_data(ONE, 1, bytes([0x20, 0x01, 0x01, 0x0E]) + bytes([VIEW]) + bytes(13))], [[]]),
    ("stick motion alone is no change", [pad_data(ONE, 1, gip_input(VIEW)), pad_data(ONE, 1, gip_input(VIEW, seq=5))],
     [[(ONE, "BTN_SELECT", P)], []]),
]


@pytest.mark.parametrize(("name", "transfers", "expected"), CASES, ids=[c[0] for c in CASES])
def test_transfers_to_changes(name: str, transfers: list[bytes], expected: list[list[tuple[str, str, int]]]) -> None:
    demux = XboxAdapterDemux(0.5)
    got = [sorted(demux.feed(bulk(data))) for data in transfers]
    assert got == [sorted(e) for e in expected]
    assert demux.notes() == []


def test_pads_are_listed_with_how_they_were_told_apart() -> None:
    demux = XboxAdapterDemux(0.5)
    demux.feed(bulk(association(ONE, 1)))
    demux.feed(bulk(pad_data(TWO, 2, gip_input())))
    assert [(p.ident, p.protocol, p.how, p.link) for p in demux.pads()] == [
        (ONE, "gip", "association", "WCID 1"), (TWO, "gip", "its data frames", "WCID 2")]


NOISE = [
    ("another endpoint", bulk(pad_data(ONE, 1, gip_input(VIEW)), endpoint=0x81)),
    ("an OUT transfer", bulk(pad_data(ONE, 1, gip_input(VIEW)), endpoint=0x04)),
    ("a submit", bulk(pad_data(ONE, 1, gip_input(VIEW)), event="S")),
    ("an interrupt transfer", MonRecord(1, "C", 1, 0x84, 5, 1, 0, 4, 0.0, bytes(8), bytes(4))),
]


@pytest.mark.parametrize(("name", "record"), NOISE, ids=[n[0] for n in NOISE])
def test_other_traffic_is_ignored(name: str, record: MonRecord) -> None:
    demux = XboxAdapterDemux(0.5)
    assert demux.feed(record) == ()
    assert demux.pads() == [] and demux.notes() == []


def test_units_loop_on_the_length_field() -> None:
    data = pad_data(ONE, 1, gip_input()) + unit(bytes(8), cmd_seq=1) + client_lost(1)
    assert [info >> 27 for info, _body in units(data)] == [0, 0, 1]


BAD = [
    ("a unit cut short", pad_data(ONE, 1, gip_input(VIEW | MENU))[:-10]),
    ("a length of zero", bytes(8)),
    ("a frame whose MPDU length runs past its unit", unit(radio_frame(ONE, 1, 0x0188, gip_input())[:-6])),
    ("a GIP packet cut short", pad_data(ONE, 1, gip_input(VIEW | MENU)[:-4])),
]


@pytest.mark.parametrize(("name", "data"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_one_note_and_lets_the_pad_go(name: str, data: bytes) -> None:
    demux = XboxAdapterDemux(0.5)
    assert demux.feed(bulk(pad_data(ONE, 1, gip_input(VIEW)))) == [(ONE, "BTN_SELECT", 1)]
    got = demux.feed(bulk(data))
    notes = demux.notes()
    assert len(notes) == 1 and "skipped" in notes[0].message
    if "runs past" in name or "GIP" in name:  # the MAC was readable: that pad lets go
        assert got == [(ONE, "BTN_SELECT", 0)]
    assert demux.feed(bulk(pad_data(ONE, 1, gip_input(A, seq=9))))  # and it goes on


def test_a_transfer_captured_in_part_is_skipped() -> None:
    demux = XboxAdapterDemux(0.5)
    data = pad_data(ONE, 1, gip_input(VIEW))
    assert demux.feed(bulk(data[:40], length=len(data))) == []
    assert "captured 40 of" in demux.notes()[0].message


def test_an_unknown_unit_type_is_said_once_per_kind() -> None:
    demux = XboxAdapterDemux(0.5)
    demux.feed(bulk(unit(bytes(4), port=1, event=0x07) + unit(bytes(4), port=3)))
    assert [n.key for n in demux.notes()] == ["unit 1/7", "unit 3/0"]


def test_frame_reads_the_header_fields() -> None:
    kind, wcid, addr2, payload = frame(radio_frame(ONE, 7, 0x0188, b"\x20\x00\x01\x00"))
    assert (kind, wcid, addr2.hex(":"), payload) == (0x88, 7, ONE, b"\x20\x00\x01\x00")
    with pytest.raises(BadFrame):
        frame(bytes(40))


def test_reset_lets_go_of_every_pad() -> None:
    demux = XboxAdapterDemux(0.5)
    demux.feed(bulk(pad_data(ONE, 1, gip_input(VIEW)) + pad_data(TWO, 2, gip_input(MENU))))
    assert sorted(demux.reset()) == [(ONE, "BTN_SELECT", 0), (TWO, "BTN_START", 0)]
    assert demux.pads() == []
