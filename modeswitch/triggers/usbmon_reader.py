"""Pads the VM holds, read through usbmon on the daemon's loop.

`UsbmonPads.follow(pads)` is told which USB pads the VM holds right now; it opens
`ROOT/usbmonN` for their buses only while at least one is attached and closes it when none
is, so a seat with no pad in the VM costs no wakeups at all. usbmon wakes a reader on every
URB event (a pad at 1000 Hz: 2000 a second), so while a node is open the reader is woken by a
timer instead, every `interval` seconds, and drains what came meanwhile in one go (the mmapped
ring, usbmon_ring.py). The timer is a thread of its own (usbmon_drain.py), not the loop's:
the loop is woken only when a drain has button changes for it, and every change, from the
thread or from the loop (a pad leaving the VM), reaches `on_change` on the loop, in the order
it happened. `interval=None` reads on every event on the loop (`loop.add_reader`). Only IN
completions of the attached pads' bus/device numbers go further, to one `ReportMapper` per
pad and on to the chord detector. A pad's interrupt-IN ending in an error the host controller
gives a device that left the bus (unplugged, unbound) releases whatever it held.

A wireless adapter (Xbox Wireless Adapter, Bluetooth) is one USB device carrying several
pads: its records go to a demultiplexer (usbmon/xbox_adapter.py, usbmon/bt_pads.py), and
each pad behind it is a pad of its own for the chord detector (key `usb:B.D/<MAC>`), so a
chord split across two pads behind one adapter never fires.

Whatever goes wrong (no module, no permission, a node that vanishes, a pad speaking an
unknown protocol, an adapter frame cut short) is logged once and shown per pad by
`describe()`; the daemon keeps going.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import select
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from modeswitch.triggers.usbmon_drain import Drainer
from modeswitch.triggers.usbmon_sources import RecordSource, SourceGone, open_source
from modeswitch.usbmon.adapters import new_demux
from modeswitch.usbmon.hid import HidLayout
from modeswitch.usbmon.mapper import UNREADABLE, ReportMapper, guess_protocol, protocol_for
from modeswitch.usbmon.monbin import BadRecord, MonRecord, QuietReports
from modeswitch.usbmon.reports import BadReport, Protocol
from modeswitch.usbmon.wireless import Adapter, Demux, PadChange

log = logging.getLogger(__name__)

USBMON_GROUP = "usbmon"
FIX_MODULE = "load it: sudo modprobe usbmon (`modeswitch udev-rules --install` loads it at boot)"
FIX_ACCESS = (f"sudo modeswitch udev-rules --install, then add yourself to group '{USBMON_GROUP}' "
              f"(sudo usermod -aG {USBMON_GROUP} $USER) and log in again")
INTERRUPT, BULK = 1, 3
BATCH_INTERVAL = 0.004  # seconds between drains while a node is open: ~2 ms added on average
# -ENODEV, -EPROTO, -EILSEQ, -ESHUTDOWN: how the host side's pending IN transfer of a device
# that left ends (dummy_hcd gives -EPROTO on an unbind; xHCI -ESHUTDOWN or -EPROTO on unplug).
LEFT_STATUS = frozenset({-19, -71, -84, -108})

ButtonSink = Callable[[str, str, str, int], None]  # (pad key, pad label, button, value)
SourceOpener = Callable[[Path], RecordSource]


@dataclass(frozen=True)
class VmPad:
    """A USB pad the VM holds, as the VM observation and the host inventory know it."""

    bus: int
    device: int
    vendor: int
    product: int
    name: str = ""
    layout: HidLayout | None = None  # a generic HID pad: where its buttons are (hid.py)
    adapter: Adapter | None = None  # a wireless adapter: the pads behind it are read

    @property
    def key(self) -> str:
        return f"usb:{self.bus}.{self.device}"

    @property
    def label(self) -> str:
        return self.name or f"{self.vendor:04x}:{self.product:04x}"


@dataclass
class _Pad:
    info: VmPad
    mapper: ReportMapper | None
    problem: tuple[str, str] | None = None  # (reason, fix)
    left: int | None = None  # the status its last IN transfer ended with, when it left the bus
    last: bytes | None = None  # for telling an unknown pad's protocol from two reports
    demux: Demux | None = None  # a wireless adapter's pads


class _Bus:
    def __init__(self, path: Path, source: RecordSource) -> None:
        self.path, self.source = path, source
        self.pads: dict[int, _Pad] = {}
        self.dropped = 0  # events the kernel dropped on a full ring, as last reported


class UsbmonPads:
    def __init__(self, root: Path, threshold: float, on_change: ButtonSink,
                 opener: SourceOpener = open_source, interval: float | None = BATCH_INTERVAL) -> None:
        self._root, self._threshold, self._on_change, self._open = root, threshold, on_change, opener
        # Held by the drain thread for a drain, and by the loop for anything that changes or
        # reads what a drain touches (pads, nodes, the poll set, the pending changes).
        self._lock = threading.Lock()
        self._drainer = Drainer(interval, self._tick) if interval is not None else None
        self._pending: list[tuple[str, str, str, int]] = []  # changes not yet handed to on_change
        self._poll = select.poll()  # which open nodes have something, for the timer's drain
        self._fds: dict[int, int] = {}  # fd → bus
        self._loop: asyncio.AbstractEventLoop | None = None
        self._buses: dict[int, _Bus] = {}
        self._pads: dict[tuple[int, int], _Pad] = {}
        self._quiet: dict[int, QuietReports] = {}  # per bus: the reports its framing drops
        self._bus_problem: dict[int, tuple[str, str]] = {}
        self._logged: set[str] = set()

    @property
    def open_buses(self) -> list[int]:
        return sorted(self._buses)

    @property
    def draining(self) -> bool:
        """Whether the drain thread runs: only while a node is open."""
        return self._drainer is not None and self._drainer.running

    def follow(self, pads: Iterable[VmPad], loop: asyncio.AbstractEventLoop) -> None:
        """Make the open nodes and pad mappers match the pads the VM holds now."""
        with self._lock:
            self._loop = loop
            wanted = {(p.bus, p.device): p for p in pads}
            for address in [a for a in self._pads if a not in wanted]:
                self._drop(address)
            for address, info in wanted.items():
                if address not in self._pads or self._pads[address].info != info:
                    self._adopt(info)
            for bus in [b for b in self._buses if not self._buses[b].pads]:
                self._close_bus(bus)
            for bus in {b for b, _ in wanted} - set(self._buses):
                self._open_bus(bus)
            ending = self._stop_if_idle()
        Drainer.wait(ending)
        self._flush()

    def close(self) -> None:
        with self._lock:
            for bus in list(self._buses):
                self._close_bus(bus)
            self._pads.clear()
            ending = self._stop_if_idle()
        Drainer.wait(ending)
        self._flush()

    def describe(self) -> list[dict[str, object]]:
        with self._lock:
            return self._rows()

    def _rows(self) -> list[dict[str, object]]:
        """Per VM pad (and per pad behind an adapter): read through usbmon, or why not and
        how to fix it."""
        rows: list[dict[str, object]] = []
        for (bus, device), pad in sorted(self._pads.items()):
            problem = pad.problem or self._bus_problem.get(bus)
            if problem is None and bus not in self._buses:
                problem = ("usbmon node not open", FIX_MODULE)
            if problem is None and pad.left is not None:
                problem = (f"left the USB bus (its transfer ended with status {pad.left})",
                           "plug it in again; it is read again from its first report")
            row: dict[str, object] = {
                "name": pad.info.label, "vendor": pad.info.vendor, "product": pad.info.product,
                "bus": bus, "device": device, "source": "usbmon (in VM)" if problem is None else "not readable",
                "protocol": pad.mapper.protocol.value if pad.mapper else None,
            }
            if problem is not None:
                row["reason"], row["fix"] = problem
            elif pad.demux is not None:
                rows += adapter_rows(pad, row)
                continue
            elif pad.mapper is None:
                row["note"] = "protocol not known yet: told from its first reports"
            rows.append(row)
        return rows

    # --- pads ---------------------------------------------------------------------------

    def _adopt(self, info: VmPad) -> None:
        self._drop((info.bus, info.device))
        unreadable = UNREADABLE.get((info.vendor, info.product))
        protocol = protocol_for(info.vendor, info.product)
        mapper = ReportMapper(protocol, self._threshold) if protocol else None
        if mapper is None and info.layout is not None:
            mapper = ReportMapper(Protocol.HID, self._threshold, info.layout)
        pad = _Pad(info, mapper, demux=_demux(info.adapter, self._threshold))
        if unreadable:
            pad.problem = (unreadable, "use the pad by cable, or on the host (desk mode)")
        self._pads[(info.bus, info.device)] = pad
        self._quiet_for(pad)
        bus = self._buses.get(info.bus)
        if bus is not None:
            bus.pads[info.device] = pad

    def _drop(self, address: tuple[int, int]) -> None:
        pad = self._pads.pop(address, None)
        if pad is None:
            return
        bus = self._buses.get(address[0])
        if bus is not None:
            bus.pads.pop(address[1], None)
        self._release_all(pad)
        quiet = self._quiet.get(address[0])
        if quiet is not None:
            quiet.unwatch(address[1])

    def _quiet_for(self, pad: _Pad) -> None:
        """A pad read by a mapper has its unchanged reports dropped by the framing; an
        adapter's records all go to its demultiplexer."""
        if pad.mapper is not None and pad.demux is None and pad.problem is None:
            self._quiet.setdefault(pad.info.bus, QuietReports()).watch(pad.info.device, pad.mapper.key_of)

    def _release_all(self, pad: _Pad) -> None:
        """A pad leaving the VM (or its node vanishing) lets go of whatever it held."""
        if pad.demux is not None:
            self._emit(pad, pad.demux.reset())
        if pad.mapper is None:
            return
        quiet = self._quiet.get(pad.info.bus)
        if quiet is not None:
            quiet.forget(pad.info.device)  # the mapper starts over: it must see the next report
        for button, _value in pad.mapper.reset():
            self._change(pad.info.key, pad.info.label, button, 0)

    def _change(self, key: str, label: str, button: str, value: int) -> None:
        self._pending.append((key, label, button, value))  # under the lock: see _flush

    def _flush(self) -> None:
        """On the loop: hand every pending change to on_change, oldest first."""
        with self._lock:
            pending, self._pending = self._pending, []
        for change in pending:
            self._on_change(*change)

    # --- nodes --------------------------------------------------------------------------

    def _open_bus(self, bus: int) -> None:
        path = self._root / f"usbmon{bus}"
        try:
            source = self._open(path)
        except OSError as exc:
            self._bus_problem[bus] = problem = _open_problem(path, exc)
            self._once(f"open {path}", "cannot read pads in the VM on bus %d: %s; fix: %s", bus, *problem)
            return
        self._bus_problem.pop(bus, None)
        entry = self._buses[bus] = _Bus(path, source)
        entry.pads = {device: pad for (b, device), pad in self._pads.items() if b == bus}
        assert self._loop is not None
        if self._drainer is None:
            self._loop.add_reader(source.fileno(), self._on_readable, bus)
        else:
            self._poll.register(source.fileno(), select.POLLIN)
            self._fds[source.fileno()] = bus
            self._drainer.start()
        log.info("reading %d pad(s) in the VM through %s", len(entry.pads), path)

    def _close_bus(self, bus: int) -> None:
        entry = self._buses.pop(bus, None)
        if entry is None:
            return
        if self._loop is not None and self._drainer is None:
            self._loop.remove_reader(entry.source.fileno())
        if self._fds.pop(entry.source.fileno(), None) is not None:
            self._poll.unregister(entry.source.fileno())
        entry.source.close()
        log.info("closed %s: no pad of this bus is in the VM", entry.path)

    def _stop_if_idle(self) -> threading.Thread | None:
        """Under the lock: with no node open the drain thread is asked to end; the caller
        waits for it after letting go of the lock, which a drain in progress holds."""
        if self._drainer is not None and not self._buses:
            return self._drainer.stop()
        return None

    def _tick(self) -> None:
        """On the drain thread: drain the open nodes that have something (one poll(2) for
        all: a FIFO no writer opened yet is not at its end), then wake the loop only if that
        gave it changes. The thread ends itself when a drain closed the last node."""
        with self._lock:
            for fd, _events in self._poll.poll(0):
                self._readable(self._fds[fd])
            changed, loop = bool(self._pending), self._loop
            self._stop_if_idle()  # its own thread: nothing to wait for
        if changed and loop is not None:
            try:
                loop.call_soon_threadsafe(self._flush)
            except RuntimeError:
                pass  # the loop closed under a daemon that is stopping: nobody is left to tell

    def _on_readable(self, bus: int) -> None:
        """On the loop, per event (no drain thread)."""
        with self._lock:
            self._readable(bus)
        self._flush()

    def _readable(self, bus: int) -> None:
        entry = self._buses.get(bus)
        if entry is None:
            return
        try:
            records = entry.source.read(self._quiet.get(bus))
        except (SourceGone, BadRecord, OSError) as exc:
            self._vanished(bus, entry, exc)
            return
        dropped = getattr(entry.source, "dropped", 0)
        if dropped != entry.dropped:
            entry.dropped = dropped
            self._once(f"dropped {entry.path}", "%s: the kernel's ring was full and dropped %d event(s) "
                       "(reported once; `modeswitch status` keeps the count)", entry.path, dropped)
        self._handle(entry.pads, records)

    @property
    def dropped(self) -> dict[int, int]:
        """Per open bus: events the kernel dropped because its ring was full."""
        with self._lock:
            return {bus: entry.dropped for bus, entry in self._buses.items()}

    def _vanished(self, bus: int, entry: _Bus, exc: Exception) -> None:
        self._once(f"gone {entry.path}", "%s stopped: %s; pads in the VM on bus %d are not read "
                   "until the seat changes again", entry.path, exc, bus)
        self._bus_problem[bus] = (f"{entry.path} went away ({exc})", FIX_MODULE)
        for pad in entry.pads.values():
            self._release_all(pad)
        self._close_bus(bus)

    def _handle(self, pads: dict[int, _Pad], records: Sequence[MonRecord]) -> None:
        """Only IN completions of the pads held go further; fillers, submits, errors and
        other devices' traffic stop here."""
        for record in records:
            pad = pads.get(record.devnum)
            if pad is not None and pad.demux is not None:
                self._emit(pad, pad.demux.feed(record))
                for note in pad.demux.notes():
                    self._once(f"{pad.info.key} {note.key}", "%s: %s", pad.info.label, note.message)
                continue
            if (pad is None or record.event != "C" or not record.endpoint & 0x80
                    or record.transfer not in (INTERRUPT, BULK)):
                continue
            if record.status in LEFT_STATUS:
                self._left(pad, record.status)
            elif not record.status and record.data:
                pad.left = None
                self._report(pad, record.data)

    def _left(self, pad: _Pad, status: int) -> None:
        if pad.left is None:
            log.info("%s left the USB bus (status %d)", pad.info.label, status)
        pad.left = status
        self._release_all(pad)

    def _report(self, pad: _Pad, payload: bytes) -> None:
        if pad.mapper is None:
            if pad.problem is not None:
                return
            protocol = guess_protocol(payload, pad.last)
            pad.last = payload
            if protocol is None:
                return
            pad.mapper = ReportMapper(protocol, self._threshold)
            self._quiet_for(pad)
            log.info("%s speaks %s", pad.info.label, protocol.value)
        try:
            changes = pad.mapper.feed(payload)
        except BadReport as exc:
            self._once(f"bad {pad.info.key} {pad.mapper.protocol}", "%s: %s", pad.info.label, exc)
            return
        for button, value in changes:
            self._change(pad.info.key, pad.info.label, button, value)

    def _emit(self, pad: _Pad, changes: Sequence[PadChange]) -> None:
        for sub, button, value in changes:
            self._change(f"{pad.info.key}/{sub}", f"pad {sub} via {pad.info.label}", button, value)

    def _once(self, key: str, message: str, *args: object) -> None:
        if key not in self._logged:
            self._logged.add(key)
            log.warning(message, *args)


def _demux(adapter: Adapter | None, threshold: float) -> Demux | None:
    return new_demux(adapter, threshold) if adapter is not None else None


def adapter_rows(pad: _Pad, base: dict[str, object]) -> list[dict[str, object]]:
    """One row per pad behind the adapter; one row for the adapter while none was heard."""
    assert pad.demux is not None
    source = f"usbmon (in VM, via {pad.demux.adapter.value})"
    common = {**base, "source": source, "adapter": pad.info.label}
    rows: list[dict[str, object]] = []
    for sub in pad.demux.pads():
        row: dict[str, object] = {**common, "name": f"pad {sub.ident}", "pad": sub.ident,
                                  "protocol": sub.protocol, "how": sub.how, "link": sub.link}
        if sub.how == "report shape":
            row["note"] = "recognised by its reports' shape (its connection setup was not seen)"
        rows.append(row)
    if not rows:
        rows.append({**common, "name": f"pads behind {pad.info.label}",
                     "note": "no pad heard yet: each pad shows here once it sends"})
    return rows


def _open_problem(path: Path, exc: OSError) -> tuple[str, str]:
    if exc.errno == errno.ENOENT:
        return f"usbmon is not loaded ({path} does not exist)", FIX_MODULE
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"no permission to read {path}", FIX_ACCESS
    return f"cannot open {path}: {exc.strerror}", FIX_ACCESS
