"""A Bluetooth adapter's usbmon records → button changes per pad paired with it.

One pad is one link (ACL connection handle); its address is known when the link's Connection
Complete event crossed the bus, otherwise the handle names it. Which channel carries its
input is learnt where it passes and told by shape where it did not:
- classic HID: the interrupt channel (PSM 0x13) from the L2CAP Connection Request and its
  Response, whichever side asked (so outgoing ACL data is read too, for the host's answers);
  failing that, the first dynamic channel carrying HIDP input reports (0xA1) of a known layout;
- BLE HOGP: the input report's ATT handle from GATT discovery (a Read By Type Response
  listing HID Report characteristics that notify); failing that, the handle whose
  notifications have the Xbox report's shape.
Only that channel of each link is decoded, so another channel of the same pad (HID control,
SDP, audio) never mixes into its buttons, and two pads never mix into one chord.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from modeswitch.usbmon.bluetooth import (
    ATT_INDICATE,
    ATT_NOTIFY,
    CID_ATT,
    CID_SIGNALLING,
    CONN_REQ,
    CONN_RSP,
    DISCONN_REQ,
    DISCONN_RSP,
    BadPacket,
    L2capAssembler,
    PacketStream,
    acl_header,
    connection,
    report_handles,
    signalling,
)
from modeswitch.usbmon.bt_reports import BtHidLayout, XboxBleLayout, bt_kind, looks_like_xbox_ble
from modeswitch.usbmon.mapper import ReportMapper
from modeswitch.usbmon.monbin import DIR_IN, MonRecord
from modeswitch.usbmon.reports import BadReport, Protocol
from modeswitch.usbmon.wireless import Adapter, Note, PadChange, WirelessPad, releases

INTERRUPT, BULK = 1, 3
PSM_HID_INTERRUPT = 0x13
HIDP_INPUT = 0xA1
DYNAMIC_CID = 0x0040
IN, OUT = "in", "out"


@dataclass
class _Link:
    handle: int
    ident: str
    assemblers: dict[str, L2capAssembler] = field(default_factory=dict)
    channels: dict[int, int] = field(default_factory=dict)  # host-side CID -> PSM
    asked: dict[tuple[str, int], tuple[int, int | None]] = field(default_factory=dict)
    candidates: set[int] = field(default_factory=set)  # ATT handles from GATT discovery
    source: int | None = None  # the interrupt CID, or the ATT handle (BLE)
    ble: bool = False
    mapper: ReportMapper | None = None
    layout: BtHidLayout | XboxBleLayout | None = None
    pad: WirelessPad | None = None


class BluetoothDemux:
    adapter = Adapter.BLUETOOTH

    def __init__(self, threshold: float) -> None:
        self._threshold = threshold
        self._events = PacketStream(acl=False)
        self._acl = {IN: PacketStream(acl=True), OUT: PacketStream(acl=True)}
        self._links: dict[int, _Link] = {}
        self._notes: list[Note] = []

    # --- framing ------------------------------------------------------------------------

    def feed(self, record: MonRecord) -> Sequence[PadChange]:
        inbound = bool(record.endpoint & DIR_IN)
        # IN data is in the completion (status 0); OUT data in the submit (-EINPROGRESS)
        if not record.data or record.event != ("C" if inbound else "S") or inbound and record.status:
            return ()
        complete = len(record.data) >= record.length
        if record.transfer == INTERRUPT and inbound:
            return self._packets(self._events, record.data, complete, self._event)
        if record.transfer == BULK:
            direction = IN if inbound else OUT
            return self._packets(self._acl[direction], record.data, complete,
                                 lambda packet: self._acl_packet(direction, packet))
        return ()

    def _packets(self, stream: PacketStream, data: bytes, complete: bool,
                 handle: Callable[[bytes], list[PadChange]]) -> list[PadChange]:
        out: list[PadChange] = []
        try:
            for packet in stream.feed(data, complete):
                out += handle(packet)
        except BadPacket as exc:
            self._note("stream", f"Bluetooth: skipped data: {exc}")
        return out

    def _event(self, event: bytes) -> list[PadChange]:
        change = connection(event)
        if change is None:
            return []
        kind, handle, where = change
        released = self._close(handle)
        if kind == "open":
            self._links[handle] = _Link(handle, where or f"link {handle:#06x}", ble=event[0] == 0x3E)
        return released

    def _acl_packet(self, direction: str, packet: bytes) -> list[PadChange]:
        handle, flag, data = acl_header(packet)
        link = self._links.get(handle)
        if link is None:  # connected before the capture began: named by its handle
            link = self._links[handle] = _Link(handle, f"link {handle:#06x}")
        assembler = link.assemblers.setdefault(direction, L2capAssembler(handle))
        pdu, problem = assembler.feed(flag, data)
        out: list[PadChange] = []
        if problem is not None:
            self._note(f"l2cap {handle}", f"Bluetooth {link.ident}: skipped {problem}; its buttons are let go")
            out += self._release(link)
        if pdu is not None:
            out += self._pdu(link, direction, *pdu)
        return out

    # --- channels -----------------------------------------------------------------------

    def _pdu(self, link: _Link, direction: str, cid: int, payload: bytes) -> list[PadChange]:
        if cid == CID_SIGNALLING:
            return [c for command in signalling(payload) for c in self._signal(link, direction, *command)]
        if direction == OUT:
            return []
        if cid == CID_ATT:
            return self._att(link, payload)
        if cid >= DYNAMIC_CID and payload[:1] == bytes((HIDP_INPUT,)):
            return self._hid(link, cid, payload[1:])
        return []

    def _signal(self, link: _Link, direction: str, code: int, ident: int, data: bytes) -> list[PadChange]:
        """Connection Request: PSM + source CID; Response: destination CID, source CID, result.
        Inbound data is addressed to the host's CID: the request's source CID when the host
        asked, the response's destination CID when the pad did."""
        if code == CONN_REQ and len(data) >= 4:
            psm, source = int.from_bytes(data[:2], "little"), int.from_bytes(data[2:4], "little")
            link.asked[(direction, ident)] = (psm, source if direction == OUT else None)
        elif code == CONN_RSP and len(data) >= 6:
            dest, source, result = (int.from_bytes(data[i:i + 2], "little") for i in (0, 2, 4))
            asker = IN if direction == OUT else OUT
            request = link.asked.get((asker, ident))
            if request is not None and result == 0:  # 1 = pending: the final answer follows
                del link.asked[(asker, ident)]
                psm, host_cid = request
                link.channels[host_cid if host_cid is not None else dest] = psm
        elif code in (DISCONN_REQ, DISCONN_RSP) and len(data) >= 4:
            dest, source = int.from_bytes(data[:2], "little"), int.from_bytes(data[2:4], "little")
            # a request names the receiver's CID first; a response repeats the request's pair
            host = dest if (direction == IN) == (code == DISCONN_REQ) else source
            link.channels.pop(host, None)
            if not link.ble and link.source == host:
                self._note(f"closed {link.handle}", f"Bluetooth {link.ident}: its HID channel closed")
                return self._release(link, forget=True)
        return []

    def _hid(self, link: _Link, cid: int, report: bytes) -> list[PadChange]:
        if link.source is None:
            psm = link.channels.get(cid)
            if psm is not None and psm != PSM_HID_INTERRUPT or bt_kind(report) is None:
                return []
            how = "the L2CAP connection" if psm == PSM_HID_INTERRUPT else "report shape"
            self._adopt(link, cid, BtHidLayout(), Protocol.BT_HID, how, f"CID {cid:#06x}")
        if cid != link.source:
            return []
        return self._report(link, report)

    def _att(self, link: _Link, payload: bytes) -> list[PadChange]:
        link.candidates |= report_handles(payload)
        if len(payload) < 3 or payload[0] not in (ATT_NOTIFY, ATT_INDICATE):
            return []
        handle, value = int.from_bytes(payload[1:3], "little"), payload[3:]
        if link.source is None and looks_like_xbox_ble(value):
            how = "GATT discovery" if handle in link.candidates else "report shape"
            self._adopt(link, handle, XboxBleLayout(), Protocol.XBOX_BLE, how, f"ATT handle {handle:#06x}")
            link.ble = True
        if not link.ble or handle != link.source:
            return []
        return self._report(link, value)

    # --- pads ---------------------------------------------------------------------------

    def _adopt(self, link: _Link, source: int, layout: BtHidLayout | XboxBleLayout, protocol: Protocol,
               how: str, where: str) -> None:
        link.source, link.layout = source, layout
        link.mapper = ReportMapper(protocol, self._threshold, layout)
        link.pad = WirelessPad(link.ident, layout.kind, how, f"ACL handle {link.handle:#06x}, {where}")

    def _report(self, link: _Link, report: bytes) -> list[PadChange]:
        assert link.mapper is not None and link.pad is not None and link.layout is not None
        link.pad.reports += 1
        try:
            changes = link.mapper.feed(report)
        except BadReport as exc:
            self._note(f"report {link.handle}", f"Bluetooth {link.ident}: skipped a bad report ({exc}); "
                       "its buttons are let go")
            return self._release(link)
        link.pad.protocol = link.layout.kind or link.pad.protocol
        return [PadChange(link.ident, button, value) for button, value in changes]

    def _release(self, link: _Link, forget: bool = False) -> list[PadChange]:
        out = releases(link.ident, link.mapper.reset()) if link.mapper is not None else []
        if forget:
            link.source, link.mapper, link.layout, link.pad = None, None, None, None
        return out

    def _close(self, handle: int) -> list[PadChange]:
        link = self._links.pop(handle, None)
        return self._release(link) if link is not None else []

    def reset(self) -> list[PadChange]:
        out = [change for link in self._links.values() for change in self._release(link)]
        self._links.clear()
        return out

    def pads(self) -> list[WirelessPad]:
        return [link.pad for link in self._ordered() if link.pad is not None]

    def _ordered(self) -> Iterator[_Link]:
        return iter(sorted(self._links.values(), key=lambda link: link.handle))

    def notes(self) -> list[Note]:
        notes, self._notes = self._notes, []
        return notes

    def _note(self, key: str, message: str) -> None:
        self._notes.append(Note(key, message))
