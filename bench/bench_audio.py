"""Audio switch benchmark: default sink + move N streams, through the backend and via pactl.

    .venv/bin/python bench/bench_audio.py [--runs 10] [--streams 1 10 50]

For each N a private PulseAudio plays N real pacat streams; one "switch" sets the default
sink and moves every stream to it, then the same back. The baseline does the same with one
`pactl` command per action (set-default-sink, move-sink-input per stream), as a shell script
would, in the same run against the same server. The backend also lists sinks and streams on
every apply (its idempotence check), the pactl baseline is handed the indices for free.
Prints medians and the ratio; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import time

from modeswitch.model import Step, StepKind
from modeswitch.parts.audio.backend import PulseAudioBackend
from modeswitch.sandbox.private_pulse import PrivatePulse

TV = ("alsa_output.pci-0000_03_00.1.hdmi-stereo", "HDMI TV")
DESK = ("alsa_output.usb-Generic_USB_Audio-00.analog-stereo", "Desk Speakers")


def to(sink: str) -> Step:
    return Step.make(StepKind.AUDIO_SINK, sink, f"audio to {sink}", {"sink": sink, "move_all": True})


async def backend_ms(server: str, runs: int) -> list[float]:
    backend = PulseAudioBackend(server)
    samples = []
    try:
        await backend.apply(to(DESK[0]))
        for _ in range(runs):
            for sink in (TV[0], DESK[0]):
                began = time.perf_counter()
                await backend.apply(to(sink))
                samples.append((time.perf_counter() - began) * 1000)
    finally:
        await backend.close()
    return samples


def pactl_ms(server: str, streams: list[int], runs: int) -> list[float]:
    def pactl(*args: str) -> None:
        subprocess.run(["pactl", f"--server={server}", *args], check=True, stdout=subprocess.DEVNULL)

    samples = []
    for _ in range(runs):
        for sink in (TV[0], DESK[0]):
            began = time.perf_counter()
            pactl("set-default-sink", sink)
            for index in streams:
                pactl("move-sink-input", str(index), sink)
            samples.append((time.perf_counter() - began) * 1000)
    return samples


def measure(count: int, runs: int) -> tuple[float, float]:
    with PrivatePulse([DESK, TV]) as pulse:
        players = [pulse.play(sink=DESK[0], name=f"stream {n}") for n in range(count)]
        indices = [index for pid in players if (index := pulse.stream_of(pid)) is not None]
        ours = statistics.median(asyncio.run(backend_ms(pulse.server, runs)))
        theirs = statistics.median(pactl_ms(pulse.server, indices, runs))
    return ours, theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 10, 50])
    options = parser.parse_args()
    print(f"{'streams':>8} {'backend ms':>11} {'pactl ms':>9} {'pactl/backend':>14}")
    for count in options.streams:
        ours, theirs = measure(count, options.runs)
        print(f"{count:>8} {ours:>11.2f} {theirs:>9.2f} {theirs / ours:>13.1f}x")


if __name__ == "__main__":
    main()
