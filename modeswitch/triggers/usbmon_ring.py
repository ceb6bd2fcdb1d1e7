"""A real /dev/usbmonN read through its mmapped ring, many records per system call.

mon_bin has no batching of its own (every URB event wakes a reader), so the reader above
drains the node on a timer while pads are in the VM, and this source makes each drain cheap:
the ring is mapped read-only once, and one `MON_IOCX_MFETCH` both releases the previous
batch (`nflush`) and hands out the offsets of the next ones, up to `FETCH` at a time, until
the ring is empty (O_NONBLOCK: EAGAIN). Records are copied out of the ring before they are
released. While mapped, the kernel pads the ring's end with '@' fillers rather than wrapping
an event: those are skipped with the other events the reader has no use for, on two header
bytes. Events the kernel had to drop because the ring was full are counted
(`MON_IOCG_STATS`, which resets the kernel's count on every read) in `dropped`.

Where the mapping is refused, `open_node` falls back to usbmon_sources.NodeSource (GETX).
"""

from __future__ import annotations

import ctypes
import fcntl
import mmap
import os
import struct

from modeswitch.triggers.usbmon_sources import GONE_ERRNOS, NodeSource, RecordSource, SourceGone
from modeswitch.usbmon.monbin import (
    COMPLETE,
    DIR_IN,
    HEADER_SIZE,
    LEN_CAP,
    STATUS_AND_LEN_CAP,
    SUBMIT,
    MonRecord,
    QuietReports,
    _parse,
)

MON_IOCG_STATS = 0x80089203  # _IOR(0x92, 3, struct mon_bin_stats): {u32 queued, u32 dropped}
MON_IOCT_RING_SIZE = 0x9204
MON_IOCQ_RING_SIZE = 0x9205
MON_IOCX_MFETCH = 0xC0109207  # _IOWR(0x92, 7, struct mon_bfetch_arg): {u32 *offvec, u32 nfetch, u32 nflush}
FILLER = ord("@")
FETCH = 64  # offsets per MFETCH
DRAIN_LIMIT = 4096  # records per drain before giving the loop back


def wanted(ring: bytes | bytearray | memoryview, offset: int) -> bool:
    """What the reader keeps: IN completions (reports, and the errors a leaving pad ends
    with) and OUT submits that carry data; fillers, IN submits, OUT completions do not."""
    kind = ring[offset + 8]
    if ring[offset + 10] & DIR_IN:
        return bool(kind == COMPLETE)
    return kind == SUBMIT and LEN_CAP.unpack_from(ring, offset + 36)[0] > 0


def records_at(ring: bytes | bytearray | memoryview, offsets: list[int],
               quiet: QuietReports | None = None) -> tuple[list[MonRecord], int]:
    """The kept records at these ring offsets, their data copied out (it starts at +64),
    and how many of the offsets were fillers; an IN completion `quiet` finds unchanged is
    not kept."""
    out, fillers = [], 0
    fields = STATUS_AND_LEN_CAP.unpack_from
    for offset in offsets:
        if wanted(ring, offset):
            status, captured = fields(ring, offset + 28)
            start = offset + HEADER_SIZE
            payload = bytes(ring[start:start + captured])
            if (quiet is None or status or not captured or ring[offset + 8] != COMPLETE
                    or not quiet.unchanged(ring[offset + 11], payload)):
                out.append(_parse(ring, offset, payload)[0])
        elif ring[offset + 8] == FILLER:
            fillers += 1
    return out, fillers


class RingSource:
    """A mapped usbmon ring; owns the fd. `ring_size` (8 KiB .. 1200 KiB) resizes the ring
    first, which also empties it; None keeps the kernel's (300 KiB by default)."""

    def __init__(self, fd: int, ring_size: int | None = None) -> None:
        os.set_blocking(fd, False)
        if ring_size is not None:
            fcntl.ioctl(fd, MON_IOCT_RING_SIZE, ring_size)
        self.size = fcntl.ioctl(fd, MON_IOCQ_RING_SIZE)
        self._ring = mmap.mmap(fd, self.size, mmap.MAP_SHARED, mmap.PROT_READ)
        self._view = memoryview(self._ring)
        self._fd = fd
        self._offsets = (ctypes.c_uint32 * FETCH)()
        self._arg = bytearray(struct.pack("QII", ctypes.addressof(self._offsets), FETCH, 0))
        self._held = 0  # fetched last time, released by the next MFETCH
        self.dropped = 0
        self.fillers = 0  # seen and skipped: the ring wrapped under a mapping

    def fileno(self) -> int:
        return self._fd

    def read(self, quiet: QuietReports | None = None) -> list[MonRecord]:
        records: list[MonRecord] = []
        fetched = 0
        while fetched < DRAIN_LIMIT:
            struct.pack_into("II", self._arg, 8, FETCH, self._held)
            try:
                fcntl.ioctl(self._fd, MON_IOCX_MFETCH, self._arg)
            except BlockingIOError:
                self._held = 0  # the flush happened before the fetch found nothing
                break
            except OSError as exc:
                self._gone(exc)
            count = struct.unpack_from("I", self._arg, 8)[0]
            self._held = count
            fetched += count
            kept, fillers = records_at(self._view, list(self._offsets[:count]), quiet)
            records += kept
            self.fillers += fillers
            if count < FETCH:
                break
        self._count_drops()
        return records

    def _count_drops(self) -> None:
        stats = bytearray(8)
        try:
            fcntl.ioctl(self._fd, MON_IOCG_STATS, stats)
        except OSError as exc:
            self._gone(exc)
        self.dropped += struct.unpack("II", stats)[1]

    @staticmethod
    def _gone(exc: OSError) -> None:
        if exc.errno in GONE_ERRNOS:
            raise SourceGone(exc.errno, f"usbmon node gone: {exc.strerror}") from None
        raise exc

    def close(self) -> None:
        if self._fd >= 0:
            self._view.release()
            self._ring.close()
            os.close(self._fd)
            self._fd = -1


def open_node(fd: int, ring_size: int | None = None) -> RecordSource:
    """The mapped ring where the node allows it, else GETX record by record (a node that is
    not usbmon, or a kernel that refuses the mapping)."""
    try:
        return RingSource(fd, ring_size)
    except OSError:  # ENOTTY, EPERM, ENODEV (no mmap): a node that is really gone fails its reads
        return NodeSource(fd)
