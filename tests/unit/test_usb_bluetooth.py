"""Tables for a Bluetooth adapter: HCI events and ACL data as btusb sees them on USB (hci.h,
l2cap.h), classic HID reports (hidp.h, hid-playstation, hid-nintendo) and BLE HOGP
notifications (SDL's Xbox report) → button changes per pad, with noise (other links, other
channels, fragments, outgoing data) and bad input."""

from __future__ import annotations

import pytest

from modeswitch.sandbox.wireless_stand_in import (
    acl,
    att_notify,
    conn_request,
    conn_response,
    connection_complete,
    disconn_request,
    disconnection_complete,
    dualsense_bt,
    dualshock4_bt,
    hidp_input,
    l2cap,
    le_connection_complete,
    ps_short,
    read_by_type_response,
    switch_full,
    xbox_ble,
)
from modeswitch.usbmon.bluetooth import PacketStream
from modeswitch.usbmon.bt_pads import BluetoothDemux
from modeswitch.usbmon.monbin import MonRecord

DS4, DS, XB = "a4:ae:12:00:00:01", "e8:47:3a:00:00:02", "98:7a:14:00:00:03"
SHARE, OPTIONS = 0x10, 0x20  # PlayStation byte "shoulders"
P, R = 1, 0


def event(data: bytes) -> MonRecord:
    return MonRecord(1, "C", 1, 0x81, 4, 1, 0, len(data), 0.0, bytes(8), data)


def acl_in(data: bytes, length: int | None = None) -> MonRecord:
    return MonRecord(2, "C", 3, 0x82, 4, 1, 0, len(data) if length is None else length, 0.0, bytes(8), data)


def acl_out(data: bytes) -> MonRecord:
    """Outgoing ACL data: usbmon has it in the SUBMIT, whose status is -EINPROGRESS."""
    return MonRecord(3, "S", 3, 0x02, 4, 1, -115, len(data), 0.0, bytes(8), data)


def hid_link(handle: int, address: str, cid: int, pad_asks: bool = True) -> list[MonRecord]:
    """A pad's HID connection: Connection Complete, then the interrupt channel (PSM 0x13)
    opened by the pad (the host answers with its CID) or by the host."""
    opened = [event(connection_complete(handle, address))]
    if pad_asks:
        return opened + [acl_in(acl(handle, conn_request(5, 0x13, 0x0070))),
                         acl_out(acl(handle, conn_response(5, cid, 0x0070)))]
    return opened + [acl_out(acl(handle, conn_request(6, 0x13, cid))),
                     acl_in(acl(handle, conn_response(6, 0x0071, cid)))]


def report(handle: int, cid: int, data: bytes) -> MonRecord:
    return acl_in(acl(handle, l2cap(cid, hidp_input(data))))


CASES = [
    ("DualShock 4 share+options on its interrupt channel",
     hid_link(0x0B, DS4, 0x0041) + [report(0x0B, 0x0041, dualshock4_bt(shoulders=SHARE)),
                                    report(0x0B, 0x0041, dualshock4_bt(shoulders=SHARE | OPTIONS, counter=1))],
     [(DS4, "BTN_SELECT", P), (DS4, "BTN_START", P)]),
    ("DualSense, the host opened the channel",
     hid_link(0x0C, DS, 0x0042, pad_asks=False) + [report(0x0C, 0x0042, dualsense_bt(ps=0x01))],
     [(DS, "BTN_MODE", P)]),
    ("the short report 0x01 before the full one",
     hid_link(0x0B, DS4, 0x0041) + [report(0x0B, 0x0041, ps_short(shoulders=SHARE)),
                                    report(0x0B, 0x0041, dualshock4_bt(shoulders=SHARE))],
     [(DS4, "BTN_SELECT", P)]),
    ("Switch Pro capture and home", hid_link(0x0D, XB, 0x0043) + [report(0x0D, 0x0043, switch_full(b4=0x30))],
     [(XB, "BTN_MODE", P), (XB, "KEY_RECORD", P)]),
    ("a report on the control channel (PSM 0x11) is not input",
     [event(connection_complete(0x0B, DS4)), acl_in(acl(0x0B, conn_request(1, 0x11, 0x0060))),
      acl_out(acl(0x0B, conn_response(1, 0x0040, 0x0060))),
      report(0x0B, 0x0040, dualshock4_bt(shoulders=SHARE))] + hid_link(0x0B, DS4, 0x0041)[1:] +
     [report(0x0B, 0x0041, dualshock4_bt(shoulders=OPTIONS))],
     [(DS4, "BTN_START", P)]),
    ("a link seen without its connection: told by the handle and the reports' shape",
     [report(0x0E, 0x0045, dualshock4_bt(shoulders=SHARE))], [("link 0x000e", "BTN_SELECT", P)]),
    ("an L2CAP PDU split across ACL fragments and transfers",
     hid_link(0x0B, DS4, 0x0041) + [acl_in(acl(0x0B, l2cap(0x0041, hidp_input(dualshock4_bt(shoulders=SHARE)))[:30])),
                                    acl_in(acl(0x0B, l2cap(0x0041, hidp_input(dualshock4_bt(shoulders=SHARE)))[30:],
                                               start=False))],
     [(DS4, "BTN_SELECT", P)]),
    ("one ACL packet split across two bulk transfers",
     hid_link(0x0B, DS4, 0x0041) + [acl_in(acl(0x0B, l2cap(0x0041, hidp_input(dualshock4_bt(ps=0x01))))[:7]),
                                    acl_in(acl(0x0B, l2cap(0x0041, hidp_input(dualshock4_bt(ps=0x01))))[7:])],
     [(DS4, "BTN_MODE", P)]),
    ("the channel closes: its buttons are let go",
     hid_link(0x0B, DS4, 0x0041) + [report(0x0B, 0x0041, dualshock4_bt(shoulders=SHARE)),
                                    acl_in(acl(0x0B, disconn_request(9, 0x0041, 0x0070)))],
     [(DS4, "BTN_SELECT", P), (DS4, "BTN_SELECT", R)]),
    ("the link goes: its buttons are let go",
     hid_link(0x0B, DS4, 0x0041) + [report(0x0B, 0x0041, dualshock4_bt(shoulders=SHARE)),
                                    event(disconnection_complete(0x0B))],
     [(DS4, "BTN_SELECT", P), (DS4, "BTN_SELECT", R)]),
    ("Xbox BLE: the notifying handle learnt from GATT discovery",
     [event(le_connection_complete(0x40, XB)),
      acl_in(acl(0x40, read_by_type_response([(0x1D, 0x12, 0x1E, 0x2A4D), (0x21, 0x0A, 0x22, 0x2A4D)]))),
      acl_in(acl(0x40, att_notify(0x001E, xbox_ble(b=0x04)))),
      acl_in(acl(0x40, att_notify(0x001E, xbox_ble(b=0x0C, stick=0x1234))))],
     [(XB, "BTN_SELECT", P), (XB, "BTN_START", P)]),
    ("Xbox BLE share, d-pad; a battery notification on another handle is nothing",
     [event(le_connection_complete(0x40, XB)), acl_in(acl(0x40, att_notify(0x0022, bytes([0x5A])))),
      acl_in(acl(0x40, att_notify(0x001E, xbox_ble(share=0x01, hat=3))))],
     [(XB, "BTN_DPAD_RIGHT", P), (XB, "KEY_RECORD", P)]),
]


@pytest.mark.parametrize(("name", "records", "expected"), CASES, ids=[c[0] for c in CASES])
def test_records_to_changes(name: str, records: list[MonRecord], expected: list[tuple[str, str, int]]) -> None:
    demux = BluetoothDemux(0.5)
    got = [change for record in records for change in demux.feed(record)]
    assert got == expected
    # a channel that closes is said in the log (once); nothing else here is
    assert [n.message.split(": ")[-1] for n in demux.notes()] == (
        ["its HID channel closed"] if "channel closes" in name else [])


def test_two_pads_behind_one_adapter_keep_their_own_chords() -> None:
    demux = BluetoothDemux(0.5)
    records = hid_link(0x0B, DS4, 0x0041) + hid_link(0x0C, DS, 0x0041) + [
        report(0x0B, 0x0041, dualshock4_bt(shoulders=SHARE)), report(0x0C, 0x0041, dualsense_bt(shoulders=OPTIONS))]
    got = [change for record in records for change in demux.feed(record)]
    assert got == [(DS4, "BTN_SELECT", P), (DS, "BTN_START", P)]
    assert [(p.ident, p.protocol, p.how, p.link) for p in demux.pads()] == [
        (DS4, "dualshock4", "the L2CAP connection", "ACL handle 0x000b, CID 0x0041"),
        (DS, "dualsense", "the L2CAP connection", "ACL handle 0x000c, CID 0x0041")]


def test_a_pad_recognised_by_shape_says_so() -> None:
    demux = BluetoothDemux(0.5)
    demux.feed(event(le_connection_complete(0x40, XB)))
    demux.feed(acl_in(acl(0x40, att_notify(0x001E, xbox_ble()))))
    assert [(p.ident, p.protocol, p.how) for p in demux.pads()] == [(XB, "xbox-ble", "report shape")]


def test_events_and_acl_packets_are_reassembled_across_transfers() -> None:
    stream = PacketStream(acl=False)
    data = connection_complete(0x0B, DS4) + disconnection_complete(0x0B)
    assert list(stream.feed(data[:5])) == []
    assert list(stream.feed(data[5:])) == [connection_complete(0x0B, DS4), disconnection_complete(0x0B)]


BAD = [
    ("an L2CAP PDU that never completes",
     [acl_in(acl(0x0B, l2cap(0x0041, hidp_input(dualshock4_bt()))[:20])), report(0x0B, 0x0041, dualshock4_bt())],
     "never completed"),
    ("a continuation without its start", [acl_in(acl(0x0B, bytes(10), start=False))], "without its start"),
    ("an ACL header announcing far too much", [acl_in(bytes([0x0B, 0x20, 0xFF, 0xFF]) + bytes(8))], "lost its place"),
    ("a transfer captured in part", [acl_in(acl(0x0B, l2cap(0x0041, hidp_input(dualshock4_bt())))[:20], length=87)],
     "captured only in part"),
    ("a report cut short", [report(0x0B, 0x0041, dualshock4_bt()[:11])], "bad report"),
]


@pytest.mark.parametrize(("name", "records", "said"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_one_note_and_lets_the_pad_go(name: str, records: list[MonRecord], said: str) -> None:
    demux = BluetoothDemux(0.5)
    before = hid_link(0x0B, DS4, 0x0041) + [report(0x0B, 0x0041, dualshock4_bt(shoulders=SHARE))]
    assert [c for r in before for c in demux.feed(r)] == [(DS4, "BTN_SELECT", P)]
    got = [c for r in records for c in demux.feed(r)]
    notes = demux.notes()
    assert len(notes) == 1 and said in notes[0].message, notes
    if "stream" not in notes[0].key:  # tied to the link: that pad lets go
        assert (DS4, "BTN_SELECT", R) in got
    after = [c for r in [report(0x0B, 0x0041, dualshock4_bt(shoulders=OPTIONS))] for c in demux.feed(r)]
    assert (DS4, "BTN_START", P) in after  # and it goes on


def test_reset_lets_go_of_every_pad() -> None:
    demux = BluetoothDemux(0.5)
    for record in hid_link(0x0B, DS4, 0x0041) + [report(0x0B, 0x0041, dualshock4_bt(shoulders=SHARE))]:
        demux.feed(record)
    assert demux.reset() == [(DS4, "BTN_SELECT", R)]
    assert demux.pads() == []


def test_the_notification_in_xpadneos_btmon_of_a_series_pad_has_the_shape() -> None:
    """xpadneo docs/descriptors/xbxs.md: "Handle: 0x001e, Data: eb7e5f80eb7f85800000000000000800":
    told by shape as the input report, sticks off centre, no stray bits, one button (byte 14)."""
    value = bytes.fromhex("eb7e5f80eb7f85800000000000000800")
    demux = BluetoothDemux(0.5)
    demux.feed(event(le_connection_complete(0x40, XB)))
    assert demux.feed(acl_in(acl(0x40, att_notify(0x001E, value)))) == [(XB, "BTN_START", P)]
    assert [(p.how, p.link) for p in demux.pads()] == [("report shape", "ACL handle 0x0040, ATT handle 0x001e")]
