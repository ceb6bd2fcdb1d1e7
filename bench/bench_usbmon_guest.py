"""The usbmon reader on a real kernel node: CPU with 4 pads at 1000 Hz, inside the test guest.

The Python guest (sandbox/guest_python.py) gets dummy_hcd with 4 controllers and a DualShock 4
gadget (usb_f_hid, bound by hid-generic, held open by a "game") on each; one writer sends every
pad's report each millisecond, sticks moving, and a chord every 100 ms. Against the same
stream, in the same run, each of these reads the 4 real /dev/usbmonN for the same time, and its
CPU is taken from /proc/PID/stat (after its start-up):
- a bare drain: `cat` of each node (plain read(2), woken per event, nothing decoded);
- the daemon's reader per event, record by record (GETX): the path before batching;
- the daemon's reader batched: the mmapped ring drained every 4 ms (the default).
The guest runs under a software CPU, so its absolute figures are several times a real
machine's; the ratios are the result. Run: .venv/bin/python bench/bench_usbmon_guest.py
"""

from __future__ import annotations

import asyncio
import json
import time

from modeswitch.parts.guest.backend import LibvirtGuestAgent
from modeswitch.sandbox.embedded_vm import EmbeddedVm
from modeswitch.sandbox.guest_python import ensure_python_guest

PADS = 4
SECONDS = 12.0  # stream length; each consumer is measured over its middle
MEASURE = 6.0
GADGETS = "python3 -m modeswitch.sandbox.gadgets"
READER = "python3 -m modeswitch.sandbox.guest_reader"
TICKS = "for p in $(cat {name}.pid); do cut -d' ' -f14,15 /proc/$p/stat; done"


async def sh(agent: LibvirtGuestAgent, script: str) -> str:
    done = await agent.run(["sh", "-c", f"cd /tmp || exit 1; {script}"], 300)
    if done.exit_code != 0:
        raise SystemExit(f"{script}: {done.stdout}{done.stderr}")
    return done.stdout


async def setup(agent: LibvirtGuestAgent) -> list[tuple[int, int]]:
    await sh(agent, "rmmod dummy_hcd && insmod /lib/modules/dummy_hcd.ko num=4")
    pads = []
    for n in range(PADS):
        bus, device = (await sh(agent, f"{GADGETS} hid pad{n} dummy_udc.{n}")).split()
        pads.append((int(bus), int(device)))
        await sh(agent, f"{GADGETS} hold pad{n} > game{n}.out 2>&1 & echo $! > game{n}.pid; "
                        f"while ! grep -q event game{n}.out; do sleep 0.2; done")
    return pads


async def measure(agent: LibvirtGuestAgent, name: str, commands: list[str], ready: str) -> float:
    """Share of one core the commands take while the stream runs, after they are `ready`."""
    names = " ".join(f"pad{n}" for n in range(PADS))
    start = "; ".join(f"{c} 2>> {name}.err & echo $! >> {name}.pid" for c in commands)
    await sh(agent, f"rm -f {name}.pid; {start}; {ready}")
    await sh(agent, f"{GADGETS} stream {SECONDS} {names} > stream.out 2>&1 & echo $! > stream.pid")
    await asyncio.sleep((SECONDS - MEASURE) / 2)
    before, t0 = await sh(agent, TICKS.format(name=name)), time.monotonic()
    await asyncio.sleep(MEASURE)
    after, t1 = await sh(agent, TICKS.format(name=name)), time.monotonic()
    await sh(agent, f"while kill -0 $(cat stream.pid) 2>/dev/null; do sleep 0.2; done; kill $(cat {name}.pid); sleep 1")
    ticks = sum(map(int, after.split())) - sum(map(int, before.split()))
    return ticks / 100 / (t1 - t0)  # USER_HZ


async def main() -> None:
    async with EmbeddedVm("bench-usbmon", pads=0, guest=ensure_python_guest()) as vm:
        agent = vm.agent()
        await agent.connect()
        await agent.wait_ready(180)
        pads = await setup(agent)
        nodes = " ".join(f"/dev/usbmon{bus}" for bus, _ in pads)
        await sh(agent, "printf '%s\\n' " + " ".join(f"'{b} {d} 054c 09cc'" for b, d in pads) + " > pads")
        reader_ready = "while ! grep -q '\"open\": \\[[0-9]' {0}.out; do sleep 0.2; done"
        drain = await measure(agent, "drain", [f"cat {node} > /dev/null" for node in nodes.split()], "sleep 0.5")
        per_event = await measure(agent, "getx", [f"{READER} pads --getx --per-event > getx.out"],
                                  reader_ready.format("getx"))
        batched = await measure(agent, "ring", [f"{READER} pads > ring.out"], reader_ready.format("ring"))
        ring_lines = [json.loads(line) for line in (await sh(agent, "cat ring.out")).splitlines()]
        chords = sum(1 for line in ring_lines if line.get("button") == "BTN_SOUTH" and line.get("value") == 1)
        await agent.close()
    print(f"guest: {PADS} DualShock 4 gadgets at 1000 Hz on dummy_hcd, measured {MEASURE:.0f} s each "
          f"(software CPU: absolute figures are inflated, compare the ratios)")
    print(f"bare drain (cat of each node, per event): {drain:.2%} of the guest's core")
    print(f"reader per event, GETX:                   {per_event:.2%} ({per_event / max(drain, 1e-9):.2f}x drain)")
    print(f"reader batched, mmapped ring every 4 ms:  {batched:.2%} ({batched / max(drain, 1e-9):.2f}x drain, "
          f"{batched / max(per_event, 1e-9):.2f}x per event)")
    print(f"chords the batched reader saw: {chords} (one every 100 ms of stream)")


if __name__ == "__main__":
    asyncio.run(main())
