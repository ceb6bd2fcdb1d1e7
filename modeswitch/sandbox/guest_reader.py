"""The daemon's usbmon reader, run inside the test guest on its real /dev/usbmonN.

    python3 -m modeswitch.sandbox.guest_reader PADS_FILE [--root /dev] [--seconds N]
        [--getx] [--ring-size BYTES] [--per-event]

PADS_FILE says which pads "the VM holds", one `bus device vendor product` (hex ids) a line;
it is read again whenever it changes, as the daemon is told again when the VM's devices
change, so emptying it closes the node. Every button change, every warning the reader logs
and, on each change of the file and at the end, the reader's `describe()` rows are printed
as JSON lines: what the tests and the benchmark read back through the guest agent.
`--getx` reads the node record by record (the path kept for kernels that refuse the mapping),
`--ring-size` resizes the ring first, `--per-event` wakes on every event instead of a timer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from modeswitch.triggers.usbmon_reader import BATCH_INTERVAL, ButtonSink, UsbmonPads, VmPad
from modeswitch.triggers.usbmon_ring import open_node
from modeswitch.triggers.usbmon_sources import NodeSource, RecordSource


class _Lines(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        _print({"log": record.levelname.lower(), "message": record.getMessage()})


def _print(row: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(row, sort_keys=True) + "\n")
    sys.stdout.flush()


def read_pads(text: str) -> list[VmPad]:
    pads = []
    for line in text.splitlines():
        if line.strip():
            bus, device, vendor, product = line.split()
            pads.append(VmPad(int(bus), int(device), int(vendor, 16), int(product, 16)))
    return pads


def opener(getx: bool, ring_size: int | None, sources: list[RecordSource]) -> Callable[[Path], RecordSource]:
    """Opens the node as asked and keeps what it opened in `sources` (for the end line)."""
    def open_path(path: Path) -> RecordSource:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        source = NodeSource(fd) if getx else open_node(fd, ring_size)
        sources.append(source)
        _print({"source": type(source).__name__, "ring": getattr(source, "size", None)})
        return source

    return open_path


async def follow(pads_file: Path, seconds: float, reader_of: Callable[[ButtonSink], UsbmonPads],
                 sources: list[RecordSource]) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    reader = reader_of(lambda key, _label, button, value: _print(
        {"t": time.monotonic(), "pad": key, "button": button, "value": value}))
    seen: str | None = None
    deadline = loop.time() + seconds
    while not stop.is_set() and loop.time() < deadline:
        text = pads_file.read_text() if pads_file.exists() else ""
        if text != seen:
            seen = text
            reader.follow(read_pads(text), loop)
            _print({"open": reader.open_buses, "pads": reader.describe()})
        try:
            await asyncio.wait_for(stop.wait(), 0.2)
        except TimeoutError:
            pass
    _print({"end": True, "open": reader.open_buses, "dropped": reader.dropped,
            "fillers": sum(getattr(s, "fillers", 0) for s in sources), "pads": reader.describe()})
    reader.close()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="guest_reader")
    parser.add_argument("pads", type=Path)
    parser.add_argument("--root", type=Path, default=Path("/dev"))
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--getx", action="store_true")
    parser.add_argument("--ring-size", type=int)
    parser.add_argument("--per-event", action="store_true")
    args = parser.parse_args(argv)
    logging.getLogger().addHandler(_Lines())
    logging.getLogger().setLevel(logging.INFO)
    interval = None if args.per_event else BATCH_INTERVAL
    sources: list[RecordSource] = []
    asyncio.run(follow(args.pads, args.seconds, lambda sink: UsbmonPads(
        args.root, 0.5, sink, opener(args.getx, args.ring_size, sources), interval), sources))


if __name__ == "__main__":
    main(sys.argv[1:])
