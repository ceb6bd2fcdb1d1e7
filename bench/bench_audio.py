"""Audio switch benchmark on PulseAudio and on PipeWire + WirePlumber: default sink + move N streams.

    .venv/bin/python bench/bench_audio.py [--runs 10] [--streams 1 10 50] [--servers pulseaudio pipewire]

For each server and each N, a private server plays N real pacat streams, pinned to the desk
sink; one "switch" is what the audio part does for a mode: observe the server, plan, and apply
the step (set the default, move every stream to it, wait until the server lists the result),
to the TV and back. The baseline does the same with one `pactl` command per action
(set-default-sink, move-sink-input per stream), as a shell script would, in the same run
against the same server, handed the stream indices for free. pactl does not wait: on PipeWire
it returns once pipewire-pulse has written metadata, before WirePlumber has relinked anything.
Prints medians and the ratio; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import time

from modeswitch.parts.audio.backend import PulseAudioBackend
from modeswitch.parts.audio.plan import plan_audio
from modeswitch.parts.audio.spec import AudioTarget
from modeswitch.sandbox.private_pipewire import PrivatePipeWire
from modeswitch.sandbox.private_pulse import PrivatePulse

TV = ("alsa_output.pci-0000_03_00.1.hdmi-stereo", "HDMI TV")
DESK = ("alsa_output.usb-Generic_USB_Audio-00.analog-stereo", "Desk Speakers")
SERVERS: dict[str, type[PrivatePulse]] = {"pulseaudio": PrivatePulse, "pipewire": PrivatePipeWire}


async def switch_ms(backend: PulseAudioBackend, sink: str) -> float:
    began = time.perf_counter()
    profiles, steps = plan_audio(AudioTarget(sink), await backend.observe())
    for step in profiles + steps:
        await backend.apply(step)
    return (time.perf_counter() - began) * 1000


async def backend_ms(server: str, runs: int) -> list[float]:
    backend = PulseAudioBackend(server)
    samples = []
    try:
        await switch_ms(backend, DESK[0])
        for _ in range(runs):
            for sink in (TV[0], DESK[0]):
                samples.append(await switch_ms(backend, sink))
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


def measure(kind: str, count: int, runs: int) -> tuple[float, float, str]:
    with SERVERS[kind]([DESK, TV]) as server:
        players = [server.play(sink=DESK[0], name=f"stream {n}") for n in range(count)]
        indices = [index for pid in players if (index := server.stream_of(pid)) is not None]
        ours = statistics.median(asyncio.run(backend_ms(server.server, runs)))
        theirs = statistics.median(pactl_ms(server.server, indices, runs))
        with server._pulse() as pulse:
            name = pulse.server_info().server_name
    return ours, theirs, name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--streams", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--servers", nargs="+", choices=sorted(SERVERS), default=["pulseaudio", "pipewire"])
    options = parser.parse_args()
    print(f"{'server':<34} {'streams':>7} {'switch ms':>10} {'pactl ms':>9} {'pactl/switch':>13}")
    for kind in options.servers:
        for count in options.streams:
            ours, theirs, name = measure(kind, count, options.runs)
            print(f"{name:<34} {count:>7} {ours:>10.2f} {theirs:>9.2f} {theirs / ours:>12.1f}x")


if __name__ == "__main__":
    main()
