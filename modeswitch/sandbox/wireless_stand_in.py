"""Bytes as wireless adapters put them on the USB bus, for stand-ins of an Xbox Wireless
Adapter and a Bluetooth adapter in the tests and benchmarks (no radio exists here).

Laid out from the same sources the decoders read (xone's `mt76_rxwi` and `dongle.c`, the
kernel's `hci.h`/`l2cap.h`, hid-playstation's report structures, SDL's Xbox BLE offsets), but
written independently of the decoders: field by field, with struct.
"""

from __future__ import annotations

import struct

ADAPTER_MAC = bytes.fromhex("62455bb11c00")


def mac_bytes(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


# --- Xbox Wireless Adapter ------------------------------------------------------------------

def gip_input(b4: int = 0, b5: int = 0, lt: int = 0, rt: int = 0, seq: int = 1) -> bytes:
    """GIP input (0x20): menu 0x04 view 0x08 A 0x10 B 0x20 X 0x40 Y 0x80 in byte 4."""
    body = bytes([b4, b5]) + struct.pack("<HH", lt, rt) + bytes(8)
    return bytes([0x20, 0x00, seq & 0xFF, len(body)]) + body


def gip_guide(pressed: bool, seq: int = 1) -> bytes:
    return bytes([0x07, 0x20, seq & 0xFF, 0x02, 0x01 if pressed else 0x00, 0x5B])


def unit(body: bytes, port: int = 0, event: int = 0, cmd_seq: int = 0) -> bytes:
    """info word (length, CMD_SEQ, EVT_TYPE, D_PORT) + body padded to 4 + 4-byte trailer."""
    body += bytes(-len(body) % 4)
    info = len(body) | cmd_seq << 16 | event << 20 | port << 27
    return struct.pack("<I", info) + body + bytes(4)


def radio_frame(pad: str, wcid: int, control: int, payload: bytes = b"", l2pad: bool = True,
                pn_len: int = 0) -> bytes:
    """mt76_rxwi + 802.11 header (+ L2PAD) (+ CCMP header) + payload."""
    header_len = 26 if control & 0x0C == 0x08 and control & 0x80 else 24
    header = struct.pack("<HH", control, 0) + ADAPTER_MAC + mac_bytes(pad) + ADAPTER_MAC + struct.pack("<H", 0)
    header += bytes(header_len - len(header))  # QoS control
    mpdu = header_len + pn_len * 4 + len(payload)
    rxinfo = (1 << 14 if l2pad else 0) | pn_len << 19 | (1 << 16 if pn_len else 0)
    ctl = wcid | mpdu << 16
    rxwi = struct.pack("<IIHH4s16s", rxinfo, ctl, 0, 0, bytes(4), bytes(16))
    return rxwi + header + (bytes(2) if l2pad else b"") + bytes(pn_len * 4) + payload


def pad_data(pad: str, wcid: int, gip: bytes, **options: object) -> bytes:
    return unit(radio_frame(pad, wcid, 0x0188, gip, **options))  # type: ignore[arg-type]


def association(pad: str, wcid: int) -> bytes:
    return unit(radio_frame(pad, wcid, 0x0000, bytes(4)))


def disassociation(pad: str, wcid: int) -> bytes:
    return unit(radio_frame(pad, wcid, 0x00A0, bytes(2)))


def client_lost(wcid: int) -> bytes:
    return unit(bytes([wcid, 0, 0, 0]), port=1, event=0x0E)


# --- Bluetooth ---------------------------------------------------------------------------

def acl(handle: int, payload: bytes, start: bool = True) -> bytes:
    flags = 0b10 if start else 0b01
    return struct.pack("<HH", handle | flags << 12, len(payload)) + payload


def l2cap(cid: int, payload: bytes) -> bytes:
    return struct.pack("<HH", len(payload), cid) + payload


def signal(code: int, ident: int, data: bytes) -> bytes:
    return l2cap(0x0001, struct.pack("<BBH", code, ident, len(data)) + data)


def conn_request(ident: int, psm: int, source_cid: int) -> bytes:
    return signal(0x02, ident, struct.pack("<HH", psm, source_cid))


def conn_response(ident: int, dest_cid: int, source_cid: int, result: int = 0) -> bytes:
    return signal(0x03, ident, struct.pack("<HHHH", dest_cid, source_cid, result, 0))


def disconn_request(ident: int, dest_cid: int, source_cid: int) -> bytes:
    return signal(0x06, ident, struct.pack("<HH", dest_cid, source_cid))


def hci_event(code: int, params: bytes) -> bytes:
    return bytes([code, len(params)]) + params


def connection_complete(handle: int, address: str) -> bytes:
    return hci_event(0x03, struct.pack("<BH", 0, handle) + mac_bytes(address)[::-1] + bytes([0x01, 0x00]))


def le_connection_complete(handle: int, address: str) -> bytes:
    params = struct.pack("<BBHBB", 0x01, 0, handle, 0, 0) + mac_bytes(address)[::-1] + bytes(7)
    return hci_event(0x3E, params)


def disconnection_complete(handle: int) -> bytes:
    return hci_event(0x05, struct.pack("<BHB", 0, handle, 0x13))


def hidp_input(report: bytes) -> bytes:
    return bytes([0xA1]) + report


def dualshock4_bt(face: int = 0x08, shoulders: int = 0, ps: int = 0, counter: int = 0) -> bytes:
    """hid-playstation dualshock4_input_report_bt: id 0x11, 2 bytes, then the common part."""
    report = bytearray(78)
    report[0], report[1] = 0x11, 0xC0
    report[3:7] = bytes([0x80, 0x80, 0x80, 0x80])
    report[7], report[8], report[9] = face, shoulders, ps | counter << 2
    return bytes(report)


def dualsense_bt(face: int = 0x08, shoulders: int = 0, ps: int = 0, seq: int = 0) -> bytes:
    """id 0x31, a tag byte, then dualsense_input_report (sticks, L2, R2, seq, buttons)."""
    report = bytearray(78)
    report[0], report[1] = 0x31, 0x10
    report[2:6] = bytes([0x80, 0x80, 0x80, 0x80])
    report[8], report[9], report[10], report[11] = seq & 0xFF, face, shoulders, ps
    return bytes(report)


def ps_short(face: int = 0x08, shoulders: int = 0) -> bytes:
    return bytes([0x01, 0x80, 0x80, 0x80, 0x80, face, shoulders, 0, 0, 0])


def switch_full(b3: int = 0, b4: int = 0, b5: int = 0, timer: int = 0) -> bytes:
    return bytes([0x30, timer & 0xFF, 0x91, b3, b4, b5]) + bytes(43)


def xbox_ble(a: int = 0, b: int = 0, share: int = 0, hat: int = 0, lt: int = 0, stick: int = 0x8000) -> bytes:
    """The HOGP value: sticks, LT, RT, hat, buttons (A 0x01 B 0x02 X 0x08 Y 0x10 LB 0x40
    RB 0x80), (view 0x04 menu 0x08 guide 0x10 LS 0x20 RS 0x40), share 0x01."""
    return struct.pack("<HHHHHHBBBB", stick, 0x8000, 0x8000, 0x8000, lt, 0, hat, a, b, share)


def att_notify(handle: int, value: bytes) -> bytes:
    return l2cap(0x0004, struct.pack("<BH", 0x1B, handle) + value)


def read_by_type_response(entries: list[tuple[int, int, int, int]]) -> bytes:
    """Characteristic declarations: (declaration handle, properties, value handle, uuid16)."""
    body = b"".join(struct.pack("<HBHH", *entry) for entry in entries)
    return l2cap(0x0004, bytes([0x09, 7]) + body)
