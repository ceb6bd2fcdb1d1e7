"""usbmon captures (pcap and pcapng, as `tcpdump -i usbmonN -w` and Wireshark write them) →
per device: the protocol recognised and each button change with its time.

Users send such a file when a pad is not recognised; the tests use it too. Pure: bytes in,
`DeviceReport`s out; a malformed file is one `CaptureError` naming what is wrong and where.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from modeswitch.errors import CaptureError
from modeswitch.usbmon.adapters import adapter_by_ids, adapter_by_shape, new_demux
from modeswitch.usbmon.hid import BadDescriptor, HidLayout, parse_descriptor
from modeswitch.usbmon.mapper import ReportMapper, guess_protocol, protocol_for
from modeswitch.usbmon.monbin import HEADER_SIZE, BadRecord, MonRecord, parse_header
from modeswitch.usbmon.reports import BadReport, Protocol
from modeswitch.usbmon.wireless import Demux, WirelessPad

LINKTYPE_USB_LINUX = 189  # 48-byte header (the legacy read(2) layout)
LINKTYPE_USB_LINUX_MMAPPED = 220  # 64-byte header
HEADER_BY_LINKTYPE = {LINKTYPE_USB_LINUX: 48, LINKTYPE_USB_LINUX_MMAPPED: HEADER_SIZE}
PCAP_MAGIC = {b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
              b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9)}
PCAPNG_SHB = 0x0A0D0D0A
BYTE_ORDER_MAGIC = 0x1A2B3C4D
DEVICE_DESCRIPTOR = 0x01
HID_REPORT_DESCRIPTOR = 0x22  # GET_DESCRIPTOR wValue high byte


@dataclass
class DeviceReport:
    bus: int
    device: int
    vendor: int | None = None
    product: int | None = None
    protocol: str | None = None
    how: str = ""  # "device descriptor" or "report shape"
    reports: int = 0
    sizes: set[int] = field(default_factory=set)
    first: bytes = b""
    changes: list[tuple[float, str, int]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    layout: HidLayout | None = None
    device_class: int | None = None
    adapter: str | None = None  # a wireless adapter: its pads, each with its own changes
    pads: list[WirelessPad] = field(default_factory=list)
    pad_changes: dict[str, list[tuple[float, str, int]]] = field(default_factory=dict)


def read_capture(data: bytes, name: str = "capture") -> Iterator[tuple[float, MonRecord]]:
    """(time, record) for every packet; CaptureError on a malformed file."""
    magic = data[:4]
    if magic in PCAP_MAGIC:
        return _pcap(data, name)
    if len(data) >= 12 and struct.unpack("<I", magic)[0] == PCAPNG_SHB:
        return _pcapng(data, name)
    raise CaptureError(f"{name}: not a pcap or pcapng file (starts with {magic.hex() or 'nothing'})")


def _record(packet: bytes, header_size: int, name: str, where: str) -> MonRecord:
    if len(packet) < header_size:
        raise CaptureError(f"{name}: packet {where} is {len(packet)} bytes, shorter than a usbmon header")
    header = packet[:header_size] + bytes(HEADER_SIZE - header_size)
    try:
        record, _captured = parse_header(header)
    except BadRecord as exc:
        raise CaptureError(f"{name}: packet {where}: {exc}") from None
    return MonRecord(record.id, record.event, record.transfer, record.endpoint, record.devnum, record.busnum,
                     record.status, record.length, record.ts, record.setup, packet[header_size:])


def _pcap(data: bytes, name: str) -> Iterator[tuple[float, MonRecord]]:
    order, unit = PCAP_MAGIC[data[:4]]
    if len(data) < 24:
        raise CaptureError(f"{name}: pcap file header cut short ({len(data)} bytes)")
    linktype = struct.unpack(order + "I", data[20:24])[0] & 0xFFFF
    header_size = _header_size(linktype, name)
    offset, count = 24, 0
    while offset < len(data):
        if offset + 16 > len(data):
            raise CaptureError(f"{name}: packet {count + 1} header cut short at byte {offset}")
        sec, frac, included, _original = struct.unpack(order + "IIII", data[offset:offset + 16])
        end = offset + 16 + included
        if end > len(data):
            raise CaptureError(f"{name}: packet {count + 1} cut short at byte {offset} "
                               f"({included} bytes announced, {len(data) - offset - 16} left)")
        count += 1
        yield sec + frac * unit, _record(data[offset + 16:end], header_size, name, str(count))
        offset = end


def _header_size(linktype: int, name: str) -> int:
    if linktype not in HEADER_BY_LINKTYPE:
        raise CaptureError(f"{name}: link type {linktype} is not a Linux usbmon capture (220 LINUX_USB_MMAPPED)",
                           "capture with tcpdump -i usbmonN or Wireshark on a usbmon interface")
    return HEADER_BY_LINKTYPE[linktype]


def _pcapng(data: bytes, name: str) -> Iterator[tuple[float, MonRecord]]:
    order = "<"
    interfaces: list[tuple[int, float]] = []  # (usbmon header size, seconds per tick)
    offset, count = 0, 0
    while offset < len(data):
        if offset + 12 > len(data):
            raise CaptureError(f"{name}: block at byte {offset} cut short")
        kind = struct.unpack(order + "I", data[offset:offset + 4])[0]
        if kind == PCAPNG_SHB:  # a palindrome: the same in either byte order
            order = _section_order(data, offset, name)
            interfaces = []
        length = struct.unpack(order + "I", data[offset + 4:offset + 8])[0]
        if length < 12 or length % 4:
            raise CaptureError(f"{name}: block at byte {offset} has a bad length {length}")
        if offset + length > len(data):
            raise CaptureError(f"{name}: block at byte {offset} cut short ({length} bytes announced)")
        body = data[offset + 8:offset + length - 4]
        if kind == 1:
            interfaces.append(_interface(body, order, name))
        elif kind in (6, 3):
            count += 1
            yield _packet(kind, body, order, interfaces, name, count)
        offset += length


def _section_order(data: bytes, offset: int, name: str) -> str:
    for order in ("<", ">"):
        if struct.unpack(order + "I", data[offset + 8:offset + 12])[0] == BYTE_ORDER_MAGIC:
            return order
    raise CaptureError(f"{name}: pcapng section at byte {offset} has no byte-order magic")


def _interface(body: bytes, order: str, name: str) -> tuple[int, float]:
    if len(body) < 8:
        raise CaptureError(f"{name}: pcapng interface block cut short")
    linktype = struct.unpack(order + "H", body[:2])[0]
    resolution = 1e-6
    options = body[8:]
    while len(options) >= 4:
        code, size = struct.unpack(order + "HH", options[:4])
        if code == 0:
            break
        if code == 9 and size >= 1:  # if_tsresol
            value = options[4]
            resolution = 2.0 ** -(value & 0x7F) if value & 0x80 else 10.0 ** -value
        options = options[4 + size + (-size % 4):]
    return _header_size(linktype, name), resolution


def _packet(kind: int, body: bytes, order: str, interfaces: list[tuple[int, float]], name: str,
            count: int) -> tuple[float, MonRecord]:
    if kind == 3:  # simple packet block: interface 0, no time
        if not interfaces or len(body) < 4:
            raise CaptureError(f"{name}: packet {count} before any interface description")
        size = struct.unpack(order + "I", body[:4])[0]
        return 0.0, _record(body[4:4 + size], interfaces[0][0], name, str(count))
    if len(body) < 20:
        raise CaptureError(f"{name}: packet {count} block cut short")
    interface, high, low, captured, _original = struct.unpack(order + "IIIII", body[:20])
    if interface >= len(interfaces):
        raise CaptureError(f"{name}: packet {count} names interface {interface}, which is not described")
    header_size, tick = interfaces[interface]
    if 20 + captured > len(body):
        raise CaptureError(f"{name}: packet {count} cut short")
    return (high << 32 | low) * tick, _record(body[20:20 + captured], header_size, name, str(count))


def decode_capture(packets: Iterator[tuple[float, MonRecord]], threshold: float = 0.5) -> list[DeviceReport]:
    """Per device with IN traffic: protocol (from its device descriptor if the capture has it,
    else from the reports' shape) and every button change; per wireless adapter, the same
    for each pad behind it."""
    devices: dict[tuple[int, int], DeviceReport] = {}
    mappers: dict[tuple[int, int], ReportMapper] = {}
    demuxes: dict[tuple[int, int], Demux] = {}
    last: dict[tuple[int, int], bytes] = {}
    asked: set[int] = set()  # URB ids of GET_DESCRIPTOR(Report) requests
    for when, record in packets:
        if record.event == "S" and record.transfer == 2 and record.setup[:2] == b"\x81\x06" \
                and record.setup[3] == HID_REPORT_DESCRIPTOR:
            asked.add(record.id)
        key = (record.busnum, record.devnum)
        demux = demuxes.get(key) or _adapter(devices.get(key), record, threshold)
        if demux is not None:
            demuxes[key] = demux
            _through_adapter(devices.setdefault(key, DeviceReport(*key)), demux, when, record)
            continue
        if not record.is_in_completion or not record.data:
            continue
        device = devices.setdefault(key, DeviceReport(*key))
        if record.transfer == 2:
            _descriptor(device, record.data, record.id in asked)
            continue
        if record.transfer not in (1, 3):
            continue
        device.reports += 1
        device.sizes.add(len(record.data))
        device.first = device.first or record.data
        mapper = mappers.get(key) or _mapper(device, record.data, last.get(key), threshold)
        last[key] = record.data
        if mapper is None:
            continue
        mappers[key] = mapper
        try:
            device.changes += [(when, button, value) for button, value in mapper.feed(record.data)]
        except BadReport as exc:
            device.errors.append(f"{when:.6f}: {exc}")
    for key, demux in demuxes.items():
        devices[key].pads = demux.pads()
    return [devices[key] for key in sorted(devices) if devices[key].reports or devices[key].adapter]


def _adapter(device: DeviceReport | None, record: MonRecord, threshold: float) -> Demux | None:
    """A device is an adapter by its descriptor (ids, class) or by its traffic's shape."""
    adapter, how = None, "frame shape"
    if device is not None and device.vendor is not None and device.product is not None:
        adapter, how = adapter_by_ids(device.vendor, device.product, device.device_class), "device descriptor"
    if adapter is None and record.is_in_completion:
        adapter, how = adapter_by_shape(record), "frame shape"
    if adapter is None:
        return None
    if device is not None:
        device.adapter, device.protocol, device.how = adapter.value, adapter.value, how
    return new_demux(adapter, threshold)


def _through_adapter(device: DeviceReport, demux: Demux, when: float, record: MonRecord) -> None:
    if device.adapter is None:
        device.adapter, device.protocol, device.how = demux.adapter.value, demux.adapter.value, "frame shape"
    if record.is_in_completion and record.data:
        device.reports += 1
        device.sizes.add(len(record.data))
    for pad, button, value in demux.feed(record):
        device.pad_changes.setdefault(pad, []).append((when, button, value))
        device.changes.append((when, button, value))
    device.errors += [f"{when:.6f}: {note.message}" for note in demux.notes()]


def _descriptor(device: DeviceReport, data: bytes, report_descriptor: bool) -> None:
    if report_descriptor:
        try:
            device.layout = parse_descriptor(data)
        except BadDescriptor as exc:
            device.errors.append(f"report descriptor: {exc}")
    elif len(data) >= 12 and data[0] == 18 and data[1] == DEVICE_DESCRIPTOR:
        device.vendor, device.product = struct.unpack("<HH", data[8:12])
        device.device_class = data[4]


def _mapper(device: DeviceReport, report: bytes, previous: bytes | None, threshold: float) -> ReportMapper | None:
    protocol = None
    if device.vendor is not None and device.product is not None:
        protocol = protocol_for(device.vendor, device.product)
        device.how = "device descriptor"
    if protocol is None and device.layout is not None:
        device.protocol, device.how = Protocol.HID.value, "report descriptor"
        return ReportMapper(Protocol.HID, threshold, device.layout)
    if protocol is None:
        protocol = guess_protocol(report, previous)
        device.how = "report shape"
    if protocol is None:
        return None
    device.protocol = protocol.value
    return ReportMapper(protocol, threshold)
