"""Which USB device is a wireless adapter, and the demultiplexer that reads its pads.

By ids or class when they are known (the host inventory, a capture's device descriptor),
else by the shape of its traffic (a capture without the descriptor): MT76 units on the Xbox
adapter's bulk-IN endpoints, or ACL packets whose header matches the transfer.
"""

from __future__ import annotations

import struct

from modeswitch.usbmon.bt_pads import BluetoothDemux
from modeswitch.usbmon.monbin import DIR_IN, MonRecord
from modeswitch.usbmon.wireless import Adapter, Demux
from modeswitch.usbmon.xbox_adapter import ADAPTER_IDS, ENDPOINTS, BadFrame, XboxAdapterDemux, units

BLUETOOTH_CLASS = 0xE0  # Wireless Controller (bDeviceClass, or the interface's)
BULK = 3


def adapter_by_ids(vendor: int, product: int, device_class: int | None = None) -> Adapter | None:
    if (vendor, product) in ADAPTER_IDS:
        return Adapter.XBOX
    if device_class == BLUETOOTH_CLASS:
        return Adapter.BLUETOOTH
    return None


def adapter_by_shape(record: MonRecord) -> Adapter | None:
    """From one IN bulk completion: whole MT76 units on 0x84/0x85, or one whole ACL packet."""
    data = record.data
    if record.transfer != BULK or not record.endpoint & DIR_IN or record.event != "C" or len(data) < 8:
        return None
    if record.endpoint in ENDPOINTS:
        try:
            if all(info >> 27 & 0x7 in (0, 1) for info, _body in units(data)):
                return Adapter.XBOX
        except BadFrame:
            pass
    word, length = struct.unpack_from("<HH", data)
    if length + 4 == len(data) and word >> 12 & 0x3 in (0, 2) and length >= 4:
        return Adapter.BLUETOOTH
    return None


def new_demux(adapter: Adapter, threshold: float) -> Demux:
    if adapter is Adapter.XBOX:
        return XboxAdapterDemux(threshold)
    return BluetoothDemux(threshold)
