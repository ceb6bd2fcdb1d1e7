"""Where usbmon records come from: the kernel's /dev/usbmonN, or a byte stream of records.

Both sit behind `RecordSource`, so the reader above them is one piece of code whatever the
transport: a real node (its mmapped ring, usbmon_ring.py; or MON_IOCX_GETX where the mapping
is refused, which gives the full 64-byte header a plain read(2) does not), or a FIFO / Unix
socket / pipe carrying records laid out as mon_bin.c writes them (what `tcpdump -i usbmonN
-w -` streams after its file header, and what the tests and benchmarks feed). `open_source` picks by what the path is.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import socket
import stat
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from modeswitch.usbmon.monbin import HEADER_SIZE, MonRecord, QuietReports, RecordStream, parse_header

MON_IOCX_GETX = 0x4018920A  # _IOW(0x92, 10, struct mon_bin_get) on x86-64
# A pad's report is <= 64 bytes, but an adapter's transfer holds radio frames or ACL data:
# xone's buffers for the Xbox Wireless Adapter are 0x8400 bytes. A longer capture is cut
# (the adapter decoders notice and skip that transfer).
GETX_DATA = 0x8400
GETX_BATCH = 256  # records per wakeup before giving the loop back
READ_CHUNK = 1 << 16
GONE_ERRNOS = {errno.ENODEV, errno.EIO, errno.EBADF, errno.ENXIO, errno.ECONNRESET, errno.EPIPE}


class SourceGone(OSError):
    """The node or stream ended (device removed, module unloaded, writer closed)."""


class RecordSource(Protocol):
    """Non-blocking: `read()` returns what is there now ([] when nothing) or raises SourceGone."""

    def fileno(self) -> int: ...

    def read(self, quiet: QuietReports | None = None) -> list[MonRecord]:
        """`quiet`: reports it finds unchanged are dropped (a source may keep some)."""

    def close(self) -> None: ...


class StreamSource:
    """Records from a byte stream; owns the fd it is given. Only IN completions and OUT
    submits with data are kept unless `everything` (the daemon's reader wants no more)."""

    def __init__(self, fd: int, everything: bool = False) -> None:
        os.set_blocking(fd, False)
        self._fd = fd
        self._stream = RecordStream(completions_only=not everything)

    def fileno(self) -> int:
        return self._fd

    def read(self, quiet: QuietReports | None = None) -> list[MonRecord]:
        """One read(2) per wakeup while the stream keeps up (the loop is level-triggered, so
        what is left wakes it again); more only while each read fills the buffer."""
        records: list[MonRecord] = []
        while True:
            try:
                chunk = os.read(self._fd, READ_CHUNK)
            except BlockingIOError:
                return records
            except OSError as exc:
                if exc.errno in GONE_ERRNOS:
                    raise SourceGone(exc.errno, f"usbmon stream ended: {exc.strerror}") from None
                raise
            if not chunk:
                if records:
                    return records  # hand these on; the next read reports the end
                raise SourceGone(errno.ENODEV, "usbmon stream closed")
            records.extend(self._stream.feed(chunk, quiet))
            if len(chunk) < READ_CHUNK:
                return records

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class NodeSource:
    """A real /dev/usbmonN, read record by record with MON_IOCX_GETX (O_NONBLOCK: EAGAIN
    when the ring is empty; the node is pollable, so the loop wakes only when it is not)."""

    def __init__(self, fd: int) -> None:
        os.set_blocking(fd, False)
        self._fd = fd
        self._header = ctypes.create_string_buffer(HEADER_SIZE)
        self._data = ctypes.create_string_buffer(GETX_DATA)
        self._arg = struct.pack("QQQ", ctypes.addressof(self._header), ctypes.addressof(self._data), GETX_DATA)

    def fileno(self) -> int:
        return self._fd

    def read(self, quiet: QuietReports | None = None) -> list[MonRecord]:
        """Record by record: a system call each, which costs more than building the record,
        so `quiet` is not asked (the reader's mapper drops an unchanged report as well)."""
        return list(self._fetch())

    def _fetch(self) -> Iterator[MonRecord]:
        for _ in range(GETX_BATCH):
            try:
                fcntl.ioctl(self._fd, MON_IOCX_GETX, self._arg)
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno in GONE_ERRNOS:
                    raise SourceGone(exc.errno, f"usbmon node gone: {exc.strerror}") from None
                raise
            record, captured = parse_header(self._header.raw)
            # string_at copies only the bytes captured (.raw would copy the whole buffer)
            yield _with(record, ctypes.string_at(self._data, min(captured, GETX_DATA)))

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _with(record: MonRecord, data: bytes) -> MonRecord:
    return MonRecord(record.id, record.event, record.transfer, record.endpoint, record.devnum,
                     record.busnum, record.status, record.length, record.ts, record.setup, data)


def open_source(path: Path) -> RecordSource:
    """A character device is the kernel's node; a FIFO or a Unix socket carries a record
    stream. Raises OSError (ENOENT: module not loaded, EACCES: no permission)."""
    mode = os.stat(path).st_mode
    if stat.S_ISSOCK(mode):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(path))
        except OSError:
            sock.close()
            raise
        return StreamSource(sock.detach())
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    if stat.S_ISCHR(mode):
        from modeswitch.triggers.usbmon_ring import open_node  # it builds on this module

        return open_node(fd)
    return StreamSource(fd)
