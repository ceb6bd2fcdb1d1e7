"""`modeswitch pads --capture`: pcap and pcapng files laid out per their specs (libpcap's file
format, draft-ietf-opsawg-pcapng), link type 220, carrying every listed protocol."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from modeswitch.errors import CaptureError
from modeswitch.sandbox import wireless_stand_in as ws
from modeswitch.usbmon.capture import decode_capture, read_capture
from modeswitch.usbmon.monbin import pack_record

MODESWITCH = str(Path(sys.executable).with_name("modeswitch"))


def device_descriptor(vendor: int, product: int) -> bytes:
    return struct.pack("<BBHBBBBHHHBBBB", 18, 1, 0x0200, 0, 0, 0, 64, vendor, product, 0x0100, 1, 2, 3, 1)


def x360(b2: int) -> bytes:
    return bytes([0x00, 0x14, b2, 0]) + bytes(16)


def gip(b4: int, seq: int) -> bytes:
    return bytes([0x20, 0x00, seq, 14, b4]) + bytes(13)


def ps(face_at: int, shoulders: int, seq: int, ds4: bool) -> bytes:
    report = bytearray(64)
    report[0] = 0x01
    if ds4:
        report[5], report[6], report[7] = 0x08, shoulders, seq << 2
    else:
        report[7], report[8], report[9] = seq, 0x08, shoulders
    return bytes(report)


def switch(b4: int) -> bytes:
    return bytes([0x30, 0, 0x91, 0, b4, 0]) + bytes(58)


def x360w(b2: int) -> bytes:
    return bytes([0x00, 0x01, 0x00, 0xF0]) + x360(b2)[:20] + bytes(5)


# (bus, device, reports, descriptor ids or None) -> expected protocol; each sends select, start, none
PADS = [
    (1, 2, [x360(0x20), x360(0x30), x360(0)], None, "xbox360"),
    (1, 3, [x360w(0x20), x360w(0x30), x360w(0)], None, "xbox360-wireless"),
    (1, 4, [gip(0x08, 1), gip(0x0C, 2), gip(0, 3)], None, "gip"),
    (1, 5, [ps(0, 0x10, 1, True), ps(0, 0x30, 2, True), ps(0, 0, 3, True)], (0x054C, 0x09CC), "dualshock4"),
    (1, 6, [ps(0, 0x10, 1, False), ps(0, 0x30, 2, False), ps(0, 0, 3, False)], None, "dualsense"),
    (2, 7, [switch(0x01), switch(0x03), switch(0)], None, "switch-pro"),
]


def records() -> list[tuple[float, bytes]]:
    out: list[tuple[float, bytes]] = []
    t = 1700000000.0
    for bus, device, reports, ids, _protocol in PADS:
        if ids is not None:
            out.append((t, pack_record(busnum=bus, devnum=device, transfer=2, endpoint=0x80,
                                       data=device_descriptor(*ids), ts=t)))
        if ids is None and reports[0][0] == 0x01:  # a PlayStation pad without descriptor: two idle reports first
            out.append((t, pack_record(busnum=bus, devnum=device, data=ps(0, 0, 0, False), ts=t)))
        for report in reports:
            t += 0.016
            out.append((t, pack_record(busnum=bus, devnum=device, event="S", ts=t, length=64)))
            out.append((t, pack_record(busnum=bus, devnum=device, data=report, ts=t)))
    out.append((t, pack_record(busnum=1, devnum=9, data=b"\x07\x07\x07", ts=t)))  # unknown device
    # a generic HID pad: the capture holds its GET_DESCRIPTOR(Report) request and the reply
    ask = struct.pack("<BBHHH", 0x81, 0x06, 0x2200, 0, len(PLAIN_HID))
    out.append((t, pack_record(busnum=2, devnum=8, event="S", transfer=2, endpoint=0x80, setup=ask, urb_id=77,
                               length=len(PLAIN_HID))))
    out.append((t, pack_record(busnum=2, devnum=8, transfer=2, endpoint=0x80, data=PLAIN_HID, urb_id=77)))
    for report in (bytes([0x00, 0x01]), bytes([0x00, 0x05]), bytes([0x00, 0x00])):  # hat up, down, released
        t += 0.016
        out.append((t, pack_record(busnum=2, devnum=8, data=report, ts=t)))
    return out


# a gamepad collection without report IDs: 8 buttons, then an 8-bit hat 1..8 (0 = released)
PLAIN_HID = bytes.fromhex("05010905a101050919012908150025017501950881020501093915012508750895018142c0")


def pcap(packets: list[tuple[float, bytes]], nanos: bool = False, big: bool = False) -> bytes:
    order = ">" if big else "<"
    magic = 0xA1B23C4D if nanos else 0xA1B2C3D4
    out = struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 262144, 220)
    for when, data in packets:
        sec = int(when)
        frac = round((when - sec) * (1e9 if nanos else 1e6))
        out += struct.pack(order + "IIII", sec, frac, len(data), len(data)) + data
    return out


def block(kind: int, body: bytes) -> bytes:
    body += bytes(-len(body) % 4)
    return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)


def pcapng(packets: list[tuple[float, bytes]]) -> bytes:
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    tsresol = struct.pack("<HHB", 9, 1, 9) + bytes(3) + struct.pack("<HH", 0, 0)  # nanoseconds
    idb = block(1, struct.pack("<HHI", 220, 0, 262144) + tsresol)
    out = shb + idb
    for when, data in packets:
        ticks = round(when * 1e9)
        out += block(6, struct.pack("<IIIII", 0, ticks >> 32, ticks & 0xFFFFFFFF, len(data), len(data)) + data)
    return out


def summary(data: bytes) -> dict[tuple[int, int], tuple[str | None, list[tuple[str, int]]]]:
    return {(d.bus, d.device): (d.protocol, [(b, v) for _t, b, v in d.changes])
            for d in decode_capture(read_capture(data, "test"))}


EXPECTED_CHANGES = [("BTN_SELECT", 1), ("BTN_START", 1), ("BTN_SELECT", 0), ("BTN_START", 0)]


@pytest.mark.parametrize("encode", [pcap, lambda p: pcap(p, nanos=True), lambda p: pcap(p, big=True), pcapng],
                         ids=["pcap", "pcap-ns", "pcap-big-endian-file", "pcapng"])
def test_every_protocol_is_recognised_with_its_changes(encode: object) -> None:
    got = summary(encode(records()))  # type: ignore[operator]
    for bus, device, _reports, _ids, protocol in PADS:
        assert got[(bus, device)][0] == protocol
        assert sorted(got[(bus, device)][1][2:]) == sorted(EXPECTED_CHANGES[2:])
        assert got[(bus, device)][1][:2] == EXPECTED_CHANGES[:2]
    assert got[(1, 9)] == (None, [])
    assert got[(2, 8)] == ("hid", [("BTN_DPAD_UP", 1), ("BTN_DPAD_UP", 0), ("BTN_DPAD_DOWN", 1),
                                   ("BTN_DPAD_DOWN", 0)])


def test_timestamps_come_from_the_file() -> None:
    packets = [(1700000000.5, pack_record(busnum=1, devnum=2, data=x360(0x10)))]
    for encode in (pcap, pcapng):
        (device,) = decode_capture(read_capture(encode(packets), "t"))
        assert device.changes[0][0] == pytest.approx(1700000000.5, abs=1e-6)


MALFORMED = [
    (b"", "not a pcap or pcapng file"),
    (b"hello world, this is text", "not a pcap or pcapng file"),
    (pcap([])[:20], "file header cut short"),
    (struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1), "link type 1 is not a Linux usbmon capture"),
    (pcap([(0.0, pack_record(busnum=1, devnum=1, data=x360(0)))])[:-5], "cut short"),
    (pcap([(0.0, b"\0" * 30)]), "shorter than a usbmon header"),
    (pcap([(0.0, b"\0" * 8 + b"Q" + b"\0" * 55)]), "unknown usbmon event type"),
    (pcapng([])[:-3], "cut short"),
    (pcapng([])[:28] + block(6, bytes(20)), "interface 0, which is not described"),
    (pcapng([])[:28] + struct.pack("<II", 6, 13) + bytes(8), "bad length 13"),
]


@pytest.mark.parametrize(("data", "message"), MALFORMED)
def test_malformed_files_are_one_error(data: bytes, message: str) -> None:
    with pytest.raises(CaptureError, match=message):
        decode_capture(read_capture(data, "bad.pcap"))


def test_cli_prints_per_device_and_one_line_on_bad_files(tmp_path: Path) -> None:
    good = tmp_path / "pads.pcapng"
    good.write_bytes(pcapng(records()))
    result = subprocess.run([MODESWITCH, "pads", "--capture", str(good)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "bus 1 device 5 054c:09cc: dualshock4 (from the device descriptor)" in result.stdout
    assert "bus 2 device 7: switch-pro (from the report shape)" in result.stdout
    assert "bus 2 device 8: hid (from the report descriptor)" in result.stdout
    assert "press  start (BTN_START)" in result.stdout
    assert "bus 1 device 9: protocol not recognised (1 report(s) of 3 bytes; first: 07 07 07)" in result.stdout
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(pcap(records())[:-7])
    result = subprocess.run([MODESWITCH, "pads", "--capture", str(bad)], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "cut short" in result.stderr and "Traceback" not in result.stderr


def wireless_capture(descriptors: bool) -> list[tuple[float, bytes]]:
    """An Xbox Wireless Adapter (bus 3 device 2) with two pads, and a Bluetooth adapter (bus 3
    device 4) with a DualSense: each pad presses select then start; one adapter frame is cut
    short. With `descriptors`, the capture holds both device descriptors (class 0xE0 for
    Bluetooth); without, the adapters are told by their traffic's shape."""
    one, two, ds = "7e:ed:80:00:00:01", "7e:ed:80:00:00:02", "e8:47:3a:00:00:02"
    out: list[tuple[float, bytes]] = []
    t = 1700000100.0
    if descriptors:
        bt = bytearray(device_descriptor(0x0A12, 0x0001))
        bt[4] = 0xE0
        out += [(t, pack_record(busnum=3, devnum=2, transfer=2, endpoint=0x80, data=device_descriptor(0x045E, 0x02FE))),
                (t, pack_record(busnum=3, devnum=4, transfer=2, endpoint=0x80, data=bytes(bt)))]

    def xbox(data: bytes) -> bytes:
        return pack_record(busnum=3, devnum=2, transfer=3, endpoint=0x84, data=data, ts=t)

    def bt_in(data: bytes, endpoint: int = 0x82, transfer: int = 3) -> bytes:
        return pack_record(busnum=3, devnum=4, transfer=transfer, endpoint=endpoint, data=data, ts=t)

    out += [(t, xbox(ws.association(one, 1) + ws.pad_data(one, 1, ws.gip_input(0x08)))),
            (t, xbox(ws.pad_data(two, 2, ws.gip_input(0x04)))),
            (t, xbox(ws.pad_data(one, 1, ws.gip_input(0x0C, seq=2))[:50])),
            (t, bt_in(ws.acl(0x0C, ws.l2cap(0x0041, ws.hidp_input(ws.dualsense_bt(shoulders=0x10)))))),
            (t, bt_in(ws.connection_complete(0x0D, ds), endpoint=0x81, transfer=1)),
            (t, bt_in(ws.acl(0x0D, ws.l2cap(0x0042, ws.hidp_input(ws.dualsense_bt(shoulders=0x30)))))),
            (t, xbox(ws.pad_data(one, 1, ws.gip_input(0x0C, seq=3))))]
    return out


@pytest.mark.parametrize("descriptors", [True, False], ids=["by descriptor", "by shape"])
def test_adapters_are_decoded_per_pad(descriptors: bool) -> None:
    devices = {(d.bus, d.device): d for d in decode_capture(read_capture(pcapng(wireless_capture(descriptors)), "t"))}
    xbox, bt = devices[(3, 2)], devices[(3, 4)]
    assert (xbox.adapter, xbox.how) == ("Xbox Wireless Adapter", "device descriptor" if descriptors else "frame shape")
    assert (bt.adapter, bt.how) == ("Bluetooth", "device descriptor" if descriptors else "frame shape")
    per_pad = {pad: [(b, v) for _t, b, v in changes] for pad, changes in xbox.pad_changes.items()}
    assert per_pad == {"7e:ed:80:00:00:01": [("BTN_SELECT", 1), ("BTN_START", 1)],
                       "7e:ed:80:00:00:02": [("BTN_START", 1)]}
    assert len(xbox.errors) == 1 and "cut-short" in xbox.errors[0]
    per_link = {pad: [(b, v) for _t, b, v in changes] for pad, changes in bt.pad_changes.items()}
    assert per_link == {"link 0x000c": [("BTN_SELECT", 1)], "e8:47:3a:00:00:02": [("BTN_SELECT", 1), ("BTN_START", 1)]}


def test_cli_prints_each_pad_behind_an_adapter(tmp_path: Path) -> None:
    capture = tmp_path / "adapters.pcapng"
    capture.write_bytes(pcapng(wireless_capture(descriptors=True)))
    result = subprocess.run([MODESWITCH, "pads", "--capture", str(capture)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert ("bus 3 device 2 045e:02fe: Xbox Wireless Adapter (from the device descriptor), 4 transfer(s), "
            "2 pad(s) behind it") in out
    assert "  pad 7e:ed:80:00:00:01: gip (WCID 1; found by association), 2 report(s), 2 button change(s)" in out
    assert "  pad e8:47:3a:00:00:02: dualsense (ACL handle 0x000d, CID 0x0042; found by report shape)" in out
    assert "    " in out and "press  start (BTN_START)" in out
    assert "  at 1700000100.000000: skipped a cut-short adapter frame" in out
