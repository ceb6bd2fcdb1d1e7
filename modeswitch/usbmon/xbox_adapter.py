"""The Xbox Wireless Adapter (045e:02fe, 045e:02e6): MT76 radio frames on bulk IN → each
pad's GIP packets → button changes per pad.

Layout, from xone (`transport/dongle.c`, `mt76_defs.h`) and mainline mt76/mt7601u: a bulk-IN
transfer holds one or more units, each a u32 info word (length of what follows in bits 0–13,
CMD_SEQ 16–19, EVT_TYPE 20–23, D_PORT 27–29), the body, and a 4-byte trailer. A WLAN body
(D_PORT 0, or a CPU-port "packet received" event) is the 32-byte `mt76_rxwi` (rxinfo: L2PAD
bit 14, PN_LEN bits 19–21; ctl: WCID bits 0–7, MPDU_LEN bits 16–29), the 802.11 header, 2
bytes of padding under L2PAD, any CCMP header (PN_LEN × 4 bytes), then the payload. The chip
decrypts, so a QoS data payload is the pad's plain GIP, parsed as on a cable. A pad is told
apart by addr2 (its MAC); the WCID only maps "client lost" events (which carry nothing else)
back to a MAC, since another host driver may number clients differently.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence

from modeswitch.usbmon.mapper import ReportMapper
from modeswitch.usbmon.monbin import MonRecord
from modeswitch.usbmon.reports import GIP_GUIDE, GIP_INPUT, BadReport, Protocol
from modeswitch.usbmon.wireless import Adapter, Note, PadChange, WirelessPad, mac, releases

ADAPTER_IDS = frozenset({(0x045E, 0x02FE), (0x045E, 0x02E6), (0x045E, 0x02F9), (0x045E, 0x091E)})
ENDPOINTS = frozenset({0x84, 0x85})  # WLAN frames; firmware events (xone reads both alike)
BULK = 3
U32, U16 = struct.Struct("<I"), struct.Struct("<H")
HEADER, TRAILER, RXWI = 4, 4, 32
PORT_WLAN, PORT_CPU_RX = 0, 1
EVT_BUTTON, EVT_PACKET_RX, EVT_CLIENT_LOST = 0x04, 0x0C, 0x0E
L2PAD, PN_LEN_SHIFT = 1 << 14, 19
# frame_control & (FTYPE | STYPE), low byte of the little-endian field
QOS_DATA, ASSOC_REQ, DISASSOC, RESERVED = 0x88, 0x00, 0xA0, 0x70


class BadFrame(ValueError):
    """A unit cut short or announcing more than the transfer holds; `pad` when its MAC was
    still readable (that pad's buttons are let go: what it held is no longer known)."""

    def __init__(self, message: str, pad: str | None = None) -> None:
        super().__init__(message)
        self.pad = pad


def units(transfer: bytes) -> Iterator[tuple[int, bytes]]:
    """(info word, body) per unit; BadFrame for a unit that does not fit (the rest is lost)."""
    offset = 0
    while len(transfer) - offset >= HEADER + TRAILER:
        info = U32.unpack_from(transfer, offset)[0]
        length = info & 0x3FFF
        end = offset + HEADER + length
        if length == 0 or end + TRAILER > len(transfer):
            raise BadFrame(f"adapter unit at byte {offset} announces {length} bytes, "
                           f"{len(transfer) - offset - HEADER - TRAILER} left")
        yield info, transfer[offset + HEADER:end]
        offset = end + TRAILER
    if offset < len(transfer) and any(transfer[offset:]):
        raise BadFrame(f"{len(transfer) - offset} stray byte(s) after the last adapter unit")


def frame(body: bytes) -> tuple[int, int, bytes, bytes]:
    """rxwi + 802.11 frame → (frame_control type byte, WCID, addr2, payload)."""
    if len(body) < RXWI + 24:
        raise BadFrame(f"radio frame of {len(body)} bytes, shorter than its descriptor and header")
    rxinfo, ctl = struct.unpack_from("<II", body)
    wcid, mpdu = ctl & 0xFF, ctl >> 16 & 0x3FFF
    wlan = body[RXWI:]
    control = U16.unpack_from(wlan)[0]
    kind = control & 0xFC
    header = 24 if kind & 0x0C == 0 else 24 + (2 if kind & 0x80 else 0) + (6 if control & 0x0300 == 0x0300 else 0)
    pad = 2 if rxinfo & L2PAD else 0
    ccmp = (rxinfo >> PN_LEN_SHIFT & 0x7) * 4  # mainline mt76 skips these; xone never sees them
    if mpdu < header + ccmp or pad + mpdu > len(wlan):
        raise BadFrame(f"radio frame announces {mpdu} bytes (header {header}), {len(wlan) - pad} there",
                       mac(wlan[10:16]))
    return kind, wcid, wlan[10:16], wlan[header + pad + ccmp:pad + mpdu]


def gip_packets(payload: bytes) -> Iterator[bytes]:
    """GIP packets in one frame's payload: command, options, sequence, varint length, data."""
    offset = 0
    while len(payload) - offset >= 4:
        length, shift, at = 0, 0, offset + 3
        while at < len(payload):
            length |= (payload[at] & 0x7F) << shift
            shift += 7
            at += 1
            if not payload[at - 1] & 0x80 or shift > 21:
                break
        end = at + length
        if end > len(payload):
            raise BadReport(f"GIP packet of {length} bytes cut short ({len(payload) - at} there)")
        yield payload[offset:end]
        offset = end


class XboxAdapterDemux:
    """One adapter's records → button changes per pad (keyed by MAC)."""

    adapter = Adapter.XBOX

    def __init__(self, threshold: float) -> None:
        self._threshold = threshold
        self._mappers: dict[str, ReportMapper] = {}
        self._pads: dict[str, WirelessPad] = {}
        self._wcids: dict[int, str] = {}
        self._notes: list[Note] = []

    def feed(self, record: MonRecord) -> Sequence[PadChange]:
        if (record.event != "C" or record.transfer != BULK or record.endpoint not in ENDPOINTS
                or record.status or not record.data):
            return ()
        out: list[PadChange] = []
        try:
            if len(record.data) < record.length:
                raise BadFrame(f"transfer captured {len(record.data)} of {record.length} bytes")
            for info, body in units(record.data):
                out += self._unit(info, body)
        except BadFrame as exc:
            self._note("frame", f"skipped a cut-short adapter frame: {exc}")
            if exc.pad is not None and exc.pad in self._mappers:
                out += releases(exc.pad, self._mappers[exc.pad].reset())
        return out

    def _unit(self, info: int, body: bytes) -> list[PadChange]:
        if info >> 16 & 0xF == 0x01:  # a command response (xone skips these too)
            return []
        port, event = info >> 27 & 0x7, info >> 20 & 0xF
        if port == PORT_WLAN or (port == PORT_CPU_RX and event == EVT_PACKET_RX):
            return self._wlan(body)
        if port == PORT_CPU_RX and event == EVT_CLIENT_LOST:
            return self._leave(self._wcids.get(body[0]), "client lost") if body else []
        if port != PORT_CPU_RX or event != EVT_BUTTON:
            self._note(f"unit {port}/{event}",
                       f"skipped an adapter unit of unknown type (port {port}, event {event:#x})")
        return []

    def _wlan(self, body: bytes) -> list[PadChange]:
        kind, wcid, addr2, payload = frame(body)
        pad = mac(addr2)
        if kind == QOS_DATA:
            return self._data(pad, wcid, payload)
        if kind == ASSOC_REQ:
            self._join(pad, wcid, "association")
        elif kind == DISASSOC:
            return self._leave(pad, "disassociation")
        return []  # pairing / enable-encryption requests (subtype 0x70), beacons, ...

    def _join(self, pad: str, wcid: int, how: str) -> WirelessPad:
        if wcid:
            self._wcids[wcid] = pad
        entry = self._pads.get(pad)
        if entry is None:
            entry = self._pads[pad] = WirelessPad(pad, Protocol.GIP.value, how)
            self._mappers[pad] = ReportMapper(Protocol.GIP, self._threshold)
        if wcid:
            entry.link = f"WCID {wcid}"
        return entry

    def _leave(self, pad: str | None, why: str) -> list[PadChange]:
        if pad is None or pad not in self._pads:
            return []
        del self._pads[pad]
        self._wcids = {w: p for w, p in self._wcids.items() if p != pad}
        return releases(pad, self._mappers.pop(pad).reset())

    def _data(self, pad: str, wcid: int, payload: bytes) -> list[PadChange]:
        entry = self._pads.get(pad) or self._join(pad, wcid, "its data frames")
        mapper = self._mappers[pad]
        out: list[PadChange] = []
        try:
            for packet in gip_packets(payload):
                if packet[0] in (GIP_INPUT, GIP_GUIDE) and packet[1] & 0x0F == 0 and packet[3] < 0x80:
                    entry.reports += 1
                    out += [PadChange(pad, button, value) for button, value in mapper.feed(packet)]
        except BadReport as exc:
            self._note(f"gip {pad}", f"pad {pad}: skipped a bad GIP packet ({exc}); its buttons are let go")
            out += releases(pad, mapper.reset())
        return out

    def reset(self) -> list[PadChange]:
        out = [change for pad, mapper in self._mappers.items() for change in releases(pad, mapper.reset())]
        self._mappers.clear()
        self._pads.clear()
        self._wcids.clear()
        return out

    def pads(self) -> list[WirelessPad]:
        return [self._pads[pad] for pad in sorted(self._pads)]

    def notes(self) -> list[Note]:
        notes, self._notes = self._notes, []
        return notes

    def _note(self, key: str, message: str) -> None:
        self._notes.append(Note(key, message))
