"""Display switch benchmark on real headless compositors: the backends vs the command-line
tools a hook script would run, in the same run against the same compositor.

    .venv/bin/python bench/bench_displays.py [--runs 10]

One "switch" is desk → tv → desk of one output (size and place). sway: SwayBackend (IPC socket:
read, set, read back) vs `swaymsg -t get_outputs` + `swaymsg output …`. GNOME: MutterBackend
(GetCurrentState, verify, apply) vs `gdbus call` GetCurrentState + ApplyMonitorsConfig. KDE:
KscreenBackend (kscreen-doctor -j, set, -j read back) vs one `kscreen-doctor output.…` call.
Prints medians per switch and the ratio; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the test compositors
from support.compositors import HeadlessKwin, HeadlessMutter, HeadlessSway  # noqa: E402

from modeswitch.model import Step, StepKind
from modeswitch.parts.display.gnome import MutterBackend
from modeswitch.parts.display.kde import KscreenBackend
from modeswitch.parts.display.spec import OutputSetting
from modeswitch.parts.display.sway import SwayBackend
from modeswitch.parts.protocols import DisplayBackend


def step(*outputs: OutputSetting) -> Step:
    return Step.make(StepKind.DISPLAY, "displays", "bench", {"outputs": outputs})


def median_ms(runs: int, once: Callable[[], None]) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        once()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def backend_switch(backend: DisplayBackend, there: Step, back: Step) -> Callable[[], None]:
    async def both() -> None:
        await backend.apply(there)
        await backend.apply(back)

    return lambda: asyncio.run(both())


def sway(runs: int) -> tuple[float, float]:
    with HeadlessSway(outputs=2) as compositor:
        tv = step(OutputSetting("HEADLESS-2", mode="1920x1080", right_of="HEADLESS-1"))
        desk = step(OutputSetting("HEADLESS-2", mode="1280x720", right_of="HEADLESS-1"))
        ours = median_ms(runs, backend_switch(SwayBackend(compositor.socket), tv, desk))

        def script() -> None:
            for size in ("1920x1080", "1280x720"):
                compositor.swaymsg("-t", "get_outputs")
                compositor.swaymsg(f"output HEADLESS-2 mode {size} position 1280 0")

        return ours, median_ms(runs, script)


def gnome(runs: int) -> tuple[float, float]:
    with HeadlessMutter(["1920x1080", "1280x720"]) as compositor:
        off = step(OutputSetting("Meta-1", enabled=False))
        on = step(OutputSetting("Meta-1", right_of="Meta-0"))
        ours = median_ms(runs, backend_switch(MutterBackend(compositor.bus), off, on))
        call = ["gdbus", "call", "--address", compositor.bus, "-d", "org.gnome.Mutter.DisplayConfig",
                "-o", "/org/gnome/Mutter/DisplayConfig", "-m", "org.gnome.Mutter.DisplayConfig.ApplyMonitorsConfig"]
        layouts = ["[(0, 0, 1.0, 0, true, [('Meta-0', '1920x1080@60.000', @a{sv} {})])]",
                   "[(0, 0, 1.0, 0, true, [('Meta-0', '1920x1080@60.000', @a{sv} {})]), "
                   "(1920, 0, 1.0, 0, false, [('Meta-1', '1280x720@60.000', @a{sv} {})])]"]

        def script() -> None:
            for layout in layouts:
                serial = re.match(r"\(uint32 (\d+)", compositor.gdbus_state())
                assert serial is not None
                subprocess.run([*call, serial[1], "1", layout, "@a{sv} {}"], check=True, capture_output=True)

        return ours, median_ms(runs, script)


def kde(runs: int) -> tuple[float, float]:
    with HeadlessKwin(outputs=2) as compositor:
        off = step(OutputSetting("Virtual-1", enabled=False))
        on = step(OutputSetting("Virtual-1", right_of="Virtual-0"))
        ours = median_ms(runs, backend_switch(KscreenBackend(env=compositor.env), off, on))
        env = {**compositor.env, "QT_QPA_PLATFORM": "wayland"}

        def script() -> None:
            for args in (["output.Virtual-1.disable"], ["output.Virtual-1.enable", "output.Virtual-1.position.1920,0"]):
                subprocess.run(["kscreen-doctor", *args], env=env, check=True, capture_output=True)

        return ours, median_ms(runs, script)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    print(f"{'desktop':8} {'backend':>12} {'script':>12} {'ratio':>7}   (median ms per desk→tv→desk, {runs} runs)")
    for name, bench in (("sway", sway), ("GNOME", gnome), ("KDE", kde)):
        ours, baseline = bench(runs)
        print(f"{name:8} {ours:12.1f} {baseline:12.1f} {baseline / ours:6.1f}x")


if __name__ == "__main__":
    main()
