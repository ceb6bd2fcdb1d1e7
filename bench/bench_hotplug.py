"""Hotplug: a pad's input node appears → the pad is attached in the VM. Median; target ≤ 250 ms.

    .venv/bin/python bench/bench_hotplug.py [--runs 15]

Measured in two halves in one run, because no single process here can hold both ends: the
pad must be emulated by umockdev (its preload would also be inherited by the QEMU that
libvirt's embedded driver forks), while the VM must be real.
- trigger: the daemon's own gamepad triggers under umockdev-wrapper (udev monitor, evdev
  open with its retry, hotplug rule) from the plug to the switch request;
- attach: the switch to TV on an embedded VM through the coordinator and engine (observe,
  plan, attach one stand-in pad, record), from the request to the outcome.
The sum of the medians is the figure printed against the target; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("LIBVIRT_LOG_OUTPUTS", "4:stderr")  # the embedded driver's warnings on its own QEMU

from modeswitch.config.loader import Config  # noqa: E402
from modeswitch.core.coordinator import Coordinator  # noqa: E402
from modeswitch.core.history import HistoryLog  # noqa: E402
from modeswitch.core.seat import BackendSet, Seat  # noqa: E402
from modeswitch.model import Mode
from modeswitch.parts.hooks.backend import HookRunner  # noqa: E402
from modeswitch.parts.usb.spec import UsbMatch
from modeswitch.parts.vm.spec import VmPower  # noqa: E402
from modeswitch.sandbox.embedded_vm import EmbeddedVm  # noqa: E402

HERE = Path(__file__).resolve().parent
TV = Mode("tv", vm=VmPower.RUNNING, usb=(UsbMatch("pads", kind="gamepad"),))
DESK = Mode("desk", vm=VmPower.RUNNING, usb=())


def trigger_ms(runs: int, workdir: Path) -> list[float]:
    done = subprocess.run(["umockdev-wrapper", sys.executable, str(HERE / "hotplug_trigger.py"), str(runs),
                           str(workdir)], capture_output=True, text=True, check=True)
    samples = json.loads(done.stdout.strip().splitlines()[-1])
    assert isinstance(samples, list)
    return [float(sample) for sample in samples]


async def attach_ms(runs: int, workdir: Path) -> list[float]:
    async with EmbeddedVm("hotplug", pads=1, parent=workdir) as vm:
        backend = vm.backend()
        await backend.connect()
        config = Config(modes={"tv": TV, "desk": DESK}, toggle=("desk", "tv"), default_mode="desk")
        seat = Seat(config, BackendSet(hooks=HookRunner(), vm=backend, usb=vm.inventory()),
                    HistoryLog(workdir / "history.jsonl"))
        coordinator = Coordinator(seat)
        samples = []
        try:
            await coordinator.sync_from_world()
            for _ in range(runs):
                began = time.perf_counter()
                outcome = await coordinator.request("tv", "hotplug")
                samples.append((time.perf_counter() - began) * 1000)
                assert outcome.ok, outcome
                assert (await coordinator.request("desk", "bench")).ok
        finally:
            await backend.close()
        return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="msw-hp-") as tmp:
        trigger = trigger_ms(runs, Path(tmp))
        attach = asyncio.run(attach_ms(runs, Path(tmp)))
    t, a = statistics.median(trigger), statistics.median(attach)
    print(f"hotplug, median of {runs}: plug → request {t:.1f} ms (max {max(trigger):.1f}), "
          f"request → pad attached {a:.1f} ms (max {max(attach):.1f})")
    print(f"node appears → attached in the VM: {t + a:.1f} ms (target <= 250 ms, {(t + a) / 250:.2f}x of it)")


if __name__ == "__main__":
    main()
