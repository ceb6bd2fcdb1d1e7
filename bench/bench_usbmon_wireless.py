"""Pads behind wireless adapters in the VM, read through usbmon: the decoders' cost.

Two streams, each 4 pads at their real rates behind one adapter: an Xbox Wireless Adapter
(GIP inside MT76 frames on bulk IN 0x84, ~125 reports/s per pad) and a Bluetooth adapter
(DualSense report 0x31 in HIDP/L2CAP/ACL on bulk IN, ~250 reports/s per pad; every 8th
packet split across two transfers, as ACL data may be). Each transfer comes as a SUBMIT and
a completion, as usbmon shows them; every 100 ms one pad sends the select+start chord.

Figures, each against a baseline measured in the same run:
- decode throughput in memory: records/s through framing + filtering + the adapter's
  demultiplexer + chord detector, against taking the same bytes in without decoding;
- CPU of the reading process at the real rates over a FIFO standing in for /dev/usbmonN:
  UsbmonPads with the adapter decoder, against a reader that only drains the FIFO.
Run: .venv/bin/python bench/bench_usbmon_wireless.py
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from modeswitch.model import ComboSpec
from modeswitch.sandbox import wireless_stand_in as ws
from modeswitch.triggers.combos import ChordDetector
from modeswitch.triggers.usbmon_reader import UsbmonPads, VmPad
from modeswitch.usbmon.adapters import new_demux
from modeswitch.usbmon.monbin import RecordStream, pack_record
from modeswitch.usbmon.wireless import Adapter

SECONDS = 4.0
CHORD_EVERY = 0.1  # s
XBOX = VmPad(1, 20, 0x045E, 0x02FE, "Xbox Wireless Adapter", adapter=Adapter.XBOX)
BLUETOOTH = VmPad(1, 21, 0x8087, 0x0029, "Bluetooth adapter", adapter=Adapter.BLUETOOTH)
MACS = [f"7e:ed:80:00:00:{n:02x}" for n in range(4)]
HANDLES = [0x0B + n for n in range(4)]


def held(tick: float, pad: int) -> tuple[bool, bool]:
    """(select, start) of pad at time tick: one pad at a time sends the chord."""
    slot = int(tick / CHORD_EVERY)
    phase = tick / CHORD_EVERY - slot
    mine = slot % 4 == pad
    return mine and 0.1 <= phase < 0.4, mine and 0.2 <= phase < 0.4


def xbox_ticks(seconds: float) -> list[tuple[float, bytes]]:
    out, period = [], 1 / 125
    for n in range(int(seconds / period)):
        t = n * period
        for pad, address in enumerate(MACS):
            select, start = held(t, pad)
            gip = ws.gip_input((0x08 if select else 0) | (0x04 if start else 0), seq=n)
            frame = ws.pad_data(address, pad + 1, gip)
            out.append((t, pack_record(busnum=1, devnum=XBOX.device, event="S", endpoint=0x84, transfer=3,
                                       length=0x8400)
                        + pack_record(busnum=1, devnum=XBOX.device, endpoint=0x84, transfer=3, data=frame)))
    return out


def bluetooth_ticks(seconds: float) -> list[tuple[float, bytes]]:
    out, period = [], 1 / 250
    for n in range(int(seconds / period)):
        t = n * period
        for pad, handle in enumerate(HANDLES):
            select, start = held(t, pad)
            report = ws.dualsense_bt(shoulders=(0x10 if select else 0) | (0x20 if start else 0), seq=n)
            packet = ws.acl(handle, ws.l2cap(0x0041, ws.hidp_input(report)))
            pieces = [packet[:40], packet[40:]] if n % 8 == 0 else [packet]
            out.append((t, b"".join(
                pack_record(busnum=1, devnum=BLUETOOTH.device, event="S", endpoint=0x82, transfer=3, length=1021)
                + pack_record(busnum=1, devnum=BLUETOOTH.device, endpoint=0x82, transfer=3, data=piece)
                for piece in pieces)))
    return out


STREAMS: dict[str, tuple[VmPad, Callable[[float], list[tuple[float, bytes]]]]] = {
    "Xbox Wireless Adapter, 4 pads x 125 Hz": (XBOX, xbox_ticks),
    "Bluetooth adapter, 4 DualSense x 250 Hz": (BLUETOOTH, bluetooth_ticks),
}


def throughput(pad: VmPad, ticks: list[tuple[float, bytes]]) -> tuple[float, float, int]:
    """Records/s: the bytes only buffered (raw), then framed + demultiplexed + detected."""
    records = count(ticks)
    started = time.perf_counter()
    buffer = bytearray()
    for _t, chunk in ticks:
        buffer += chunk
        del buffer[:]
    raw = records / (time.perf_counter() - started)
    assert pad.adapter is not None
    stream, demux = RecordStream(completions_only=True), new_demux(pad.adapter, 0.5)
    detector = ChordDetector([ComboSpec(("BTN_SELECT", "BTN_START"), "desk")])
    fires = 0
    started = time.perf_counter()
    for when, chunk in ticks:
        for record in stream.feed(chunk):
            for sub, button, value in demux.feed(record):
                fires += len(detector.feed(sub, button, value, when))
    return raw, records / (time.perf_counter() - started), fires


def count(ticks: list[tuple[float, bytes]]) -> int:
    framing = RecordStream()
    return sum(len(framing.feed(chunk)) for _t, chunk in ticks)


def writer(fifo: str, name: str, seconds: float) -> None:
    """Child process: the stream at its real pace."""
    ticks = STREAMS[name][1](seconds)
    fd = os.open(fifo, os.O_WRONLY)
    start = time.monotonic()
    for when, chunk in ticks:
        delay = start + when - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        os.write(fd, chunk)
    os.close(fd)


def spawn(fifo: Path, name: str) -> subprocess.Popen[bytes]:
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_usbmon_wireless as b; "
            f"b.writer({str(fifo)!r}, {name!r}, {SECONDS})")
    return subprocess.Popen([sys.executable, "-c", code])


async def decoded(root: Path, name: str) -> float:
    pad = STREAMS[name][0]
    changes = [0]

    def sink(*_args: object) -> None:
        changes[0] += 1

    reader = UsbmonPads(root, 0.5, sink)
    child = spawn(root / f"usbmon{pad.bus}", name)
    wall, cpu = time.monotonic(), time.process_time()
    reader.follow([pad], asyncio.get_running_loop())
    while reader.open_buses:
        await asyncio.sleep(0.05)
    share = (time.process_time() - cpu) / (time.monotonic() - wall)
    child.wait()
    assert changes[0] > 0
    return share


async def drained(root: Path, name: str) -> float:
    loop, done = asyncio.get_running_loop(), asyncio.Event()
    child = spawn(root / "usbmon1", name)
    fd = os.open(root / "usbmon1", os.O_RDONLY | os.O_NONBLOCK)

    def readable() -> None:
        while True:
            try:
                if not os.read(fd, 1 << 16):
                    loop.remove_reader(fd)
                    done.set()
                    return
            except BlockingIOError:
                return

    wall, cpu = time.monotonic(), time.process_time()
    loop.add_reader(fd, readable)
    await done.wait()
    share = (time.process_time() - cpu) / (time.monotonic() - wall)
    os.close(fd)
    child.wait()
    return share


def fresh(base: Path, name: str) -> Path:
    root = base / name
    root.mkdir()
    os.mkfifo(root / "usbmon1")
    return root


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-wireless-") as tmp:
        base = Path(tmp)
        for index, (name, (pad, make)) in enumerate(STREAMS.items()):
            ticks = make(5.0)
            raw, rate, fires = throughput(pad, ticks)
            per_second = count(ticks) / 5.0
            print(f"{name}: {per_second:,.0f} records/s (SUBMIT + COMPLETE per transfer)")
            print(f"  throughput, raw stream taken in without decoding: {raw:,.0f} records/s")
            print(f"  throughput, framed + demultiplexed + decoded + detector: {rate:,.0f} records/s "
                  f"({rate / raw:.3f}x of raw; {per_second / rate:.2%} of a core at the real rate); "
                  f"{fires} chords seen in 5 s (expected {int(5.0 / CHORD_EVERY)})")
            live_raw = await drained(fresh(base, f"raw{index}"), name)
            live = await decoded(fresh(base, f"live{index}"), name)
            print(f"  CPU at the real rate: raw drain {live_raw:.2%} of a core, usbmon path {live:.2%} "
                  f"(ratio {live / max(live_raw, 1e-9):.2f}x)")


if __name__ == "__main__":
    asyncio.run(main())
