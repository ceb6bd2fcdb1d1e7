"""Child of bench_hotplug.py, run under umockdev-wrapper: the daemon's real gamepad triggers
(udev monitor, evdev open, hotplug rule) and an emulated pad plugged N times. Prints the
milliseconds from each plug to the switch request, as JSON.

    umockdev-wrapper python bench/hotplug_trigger.py N WORKDIR
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))

from umockdev_devices import Rig  # noqa: E402

from modeswitch.model import HotplugRule  # noqa: E402
from modeswitch.triggers.gamepads import GamepadTriggers  # noqa: E402


class Stopwatch:
    """Requester and SeatView: notes when a switch is asked for."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()

    def request(self, action: str, source: str) -> None:
        self.asked.set()

    def current_mode(self) -> str | None:
        return "desk"

    def vm_running(self) -> bool:
        return True


async def measure(runs: int, workdir: Path) -> list[float]:
    rig = Rig(workdir)  # first: the Testbed must exist before anything asks umockdev
    watch = Stopwatch()
    triggers = GamepadTriggers([], [HotplugRule(mode="tv", debounce=0.0)], 0.5, watch, watch)
    await triggers.start()
    samples = []
    try:
        for number in range(runs):
            watch.asked.clear()
            began = time.perf_counter()
            pad = rig.plug("xpad-360", 10 + number)
            await asyncio.wait_for(watch.asked.wait(), 30)
            samples.append((time.perf_counter() - began) * 1000)
            rig.unplug(pad)
            while triggers.pads:
                await asyncio.sleep(0.01)
    finally:
        await triggers.stop()
    return samples


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure(int(sys.argv[1]), Path(sys.argv[2])))))
