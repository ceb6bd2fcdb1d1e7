"""Combo detection cost on a replayed pad stream full of stick noise.

Figures: throughput (raw events/s through PadMapper + ChordDetector, the work done per event
in the daemon's reader callback) and latency from the last qualifying event to the
Requester call, p50/p99. A naive detector (re-checks every combo against the held set on
every event, maps every axis the long way) runs on the same stream in the same process, and
the ratio is printed, so the figures mean something on any machine. Targets: >= 500k
events/s, p99 <= 1 ms. Run: .venv/bin/python bench/bench_combos.py
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

from modeswitch.model import ComboSpec
from modeswitch.triggers.combos import (
    ABS_HAT0X,
    ABS_HAT0Y,
    ABS_RX,
    ABS_RY,
    ABS_RZ,
    ABS_Z,
    EV_ABS,
    EV_KEY,
    KEY_NAMES,
    AxisRange,
    ChordDetector,
    PadMapper,
)

COMBOS = [ComboSpec(("BTN_SELECT", "BTN_START"), "toggle"),
          ComboSpec(("BTN_TL2", "BTN_TR2", "BTN_DPAD_DOWN"), "tv"),
          ComboSpec(("BTN_MODE", "BTN_SOUTH"), "desk")]
AXES = {0: AxisRange(-32768, 32767), 1: AxisRange(-32768, 32767),
        ABS_RX: AxisRange(-32768, 32767), ABS_RY: AxisRange(-32768, 32767),
        ABS_Z: AxisRange(0, 1023), ABS_RZ: AxisRange(0, 1023),
        ABS_HAT0X: AxisRange(-1, 1), ABS_HAT0Y: AxisRange(-1, 1)}
Event = tuple[int, int, int, int]  # pad, type, code, value
SELECT, START = 0x13A, 0x13B


def stream(pads: int, combos: int, noise_per_press: int, seed: int = 7) -> list[Event]:
    """Sticks streaming on every pad, and now and then a select+start chord on one of them."""
    rng = random.Random(seed)
    events: list[Event] = []
    for _ in range(combos):
        pad = rng.randrange(pads)
        for code in (SELECT, START):
            events += [(rng.randrange(pads), EV_ABS, rng.choice((0, 1, ABS_RX, ABS_RY)),
                        rng.randrange(-32768, 32767)) for _ in range(noise_per_press)]
            events.append((pad, EV_ABS, ABS_Z, rng.randrange(0, 300)))  # trigger resting
            events.append((pad, EV_KEY, code, 1))
        events += [(pad, EV_KEY, SELECT, 0), (pad, EV_KEY, START, 0)]
    return events


class Pipeline:
    def __init__(self, pads: int) -> None:
        self.mappers = [PadMapper(AXES, 0.5) for _ in range(pads)]
        self.detector = ChordDetector(COMBOS)

    def __call__(self, pad: int, etype: int, code: int, value: int, now: float) -> int:
        fired = 0
        for button, state in self.mappers[pad].translate(etype, code, value):
            fired += len(self.detector.feed(pad, button, state, now))
        return fired


class Naive:
    """What one writes first: scale every axis, rebuild the chord check on every event."""

    def __init__(self, pads: int) -> None:
        self.held: list[set[str]] = [set() for _ in range(pads)]
        self.fired: list[set[int]] = [set() for _ in range(pads)]

    def __call__(self, pad: int, etype: int, code: int, value: int, now: float) -> int:
        held = self.held[pad]
        if etype == EV_KEY:
            name = KEY_NAMES.get(code, str(code))
            (held.add if value else held.discard)(name)
        elif etype == EV_ABS and code in AXES:
            span = AXES[code]
            fraction = (value - span.minimum) / (span.maximum - span.minimum)
            name = {ABS_Z: "BTN_TL2", ABS_RZ: "BTN_TR2"}.get(code, f"axis{code}")
            (held.add if fraction > 0.5 and code in (ABS_Z, ABS_RZ) else held.discard)(name)
        fired = 0
        for index, combo in enumerate(COMBOS):
            if set(combo.buttons) <= held:
                if index not in self.fired[pad]:
                    self.fired[pad].add(index)
                    fired += 1
            else:
                self.fired[pad].discard(index)
        return fired


Detector = Callable[[int, int, int, int, float], int]


def throughput(detector: Detector, events: list[Event]) -> tuple[float, int]:
    fired = 0
    start = time.perf_counter()
    for pad, etype, code, value in events:
        fired += detector(pad, etype, code, value, 0.0)
    return len(events) / (time.perf_counter() - start), fired


def latencies(detector: Detector, events: list[Event]) -> list[float]:
    """Per fired combo: time spent on the completing event up to the request, in ms."""
    requests: list[float] = []
    spent: list[float] = []
    for pad, etype, code, value in events:
        start = time.perf_counter_ns()
        if detector(pad, etype, code, value, 0.0):
            requests.append(start)  # what Requester.request does: queue and return
            spent.append((time.perf_counter_ns() - start) / 1e6)
    return spent


def main() -> None:
    pads = 4
    events = stream(pads, combos=5000, noise_per_press=100)
    print(f"stream: {len(events)} events, {pads} pads, 5000 chords, ~99% stick noise")
    results = {}
    for name, make in (("modeswitch", Pipeline), ("naive", Naive)):
        rate, fired = max((throughput(make(pads), events) for _ in range(3)), key=lambda r: r[0])
        spent = sorted(latencies(make(pads), events))
        p50, p99 = statistics.median(spent), spent[int(len(spent) * 0.99) - 1]
        results[name] = rate
        print(f"{name:>10}: {rate / 1e3:8.0f}k events/s  fired {fired}  "
              f"latency p50 {p50 * 1e3:.1f} us  p99 {p99 * 1e3:.1f} us")
    print(f"ratio modeswitch/naive throughput: {results['modeswitch'] / results['naive']:.2f}x "
          f"(targets: >= 500k events/s, p99 <= 1000 us)")


if __name__ == "__main__":
    main()
