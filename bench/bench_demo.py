"""Demo benchmark: `modeswitch demo` cold (no saved guest state) against warm (the saved booted
guest restored), and the first switch into desk against its own `start VM` step, all in one run.

    .venv/bin/python bench/bench_demo.py [--runs 2]

Each demo runs as a user runs it, a process of its own, with a private cache holding a copy of
the guest image and of QEMU's probed capabilities: cold runs find no saved state (they boot the
guest, save it, and restore it), warm runs find the one the cold run saved. Targets from the
issue: warm at least 3x faster than cold; the first switch within 3x its start VM step.
Prints medians and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from modeswitch.sandbox.guest_image import cache_root, ensure_guest

START = re.compile(r"^  ok +([\d.]+) ms  start VM ", re.M)
SWITCHED = re.compile(r"^desk: switched in ([\d.]+) ms$", re.M)


@dataclass
class DemoRun:
    wall_ms: float
    start_ms: float  # the first switch's start VM step
    switch_ms: float  # the whole first switch into desk


def private_cache(parent: Path) -> Path:
    """A cache with the guest image and QEMU's capabilities, and no saved state."""
    image = ensure_guest().kernel.parent
    cache = parent / "modeswitch"
    shutil.copytree(image, cache / image.name, ignore=shutil.ignore_patterns("state-*", "state.lock"))
    for kept in cache_root().glob("qemu-capabilities-*"):
        shutil.copytree(kept, cache / kept.name)
    return cache


def demo(cache: Path) -> DemoRun:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache.parent))
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "modeswitch.cli.main", "demo"], capture_output=True, text=True,
                          env=env, timeout=600, check=False)
    wall = (time.perf_counter() - began) * 1000
    first = done.stdout.split("=== switching to tv ===", 1)[0]
    start, switched = START.search(first), SWITCHED.search(first)
    if done.returncode != 0 or start is None or switched is None:
        raise SystemExit(f"the demo failed (exit {done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return DemoRun(wall, float(start.group(1)), float(switched.group(1)))


def forget_states(cache: Path) -> None:
    for state in cache.glob("guest-*/state-*.save"):
        state.unlink()


def line(label: str, values: list[float]) -> str:
    return f"{label:<48} median {statistics.median(values):9.1f} ms  (min {min(values):.1f}, max {max(values):.1f})"


def main(runs: int) -> None:
    parent = Path(tempfile.mkdtemp(prefix="msw-bench-demo-"))
    try:
        cache = private_cache(parent)
        cold, warm = [], []
        for _ in range(runs):
            forget_states(cache)
            cold.append(demo(cache))
            warm.append(demo(cache))
        report(cold, warm)
    finally:
        shutil.rmtree(parent, ignore_errors=True)


def report(cold: list[DemoRun], warm: list[DemoRun]) -> None:
    cold_wall, warm_wall = [r.wall_ms for r in cold], [r.wall_ms for r in warm]
    print(line("demo cold: no saved state (baseline)", cold_wall))
    print(line("demo warm: saved guest restored", warm_wall))
    speedup = statistics.median(cold_wall) / statistics.median(warm_wall)
    print(f"ratio cold / warm: {speedup:.1f}x; target >= 3x: {'met' if speedup >= 3 else 'MISSED'}")
    for label, runs in (("cold", cold), ("warm", warm)):
        starts, switches = [r.start_ms for r in runs], [r.switch_ms for r in runs]
        print(line(f"{label}: first switch's start VM step (baseline)", starts))
        print(line(f"{label}: first switch into desk", switches))
        ratio = statistics.median(switches) / statistics.median(starts)
        print(f"ratio first switch / its start VM step ({label}): {ratio:.1f}x; target <= 3x: "
              f"{'met' if ratio <= 3 else 'MISSED'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    main(parser.parse_args().runs)
