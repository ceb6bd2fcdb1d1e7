"""Shared pieces for the audio tests on a real private PulseAudio: sinks named like real ALSA
cards, an event recorder, and helpers that run a plan through the backend the way the engine
does (apply in order, undo in reverse)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager

from modeswitch.model import Step
from modeswitch.parts.audio.backend import AudioEvent, PulseAudioBackend
from modeswitch.parts.audio.plan import plan_audio
from modeswitch.parts.audio.spec import AudioObservation, AudioTarget
from modeswitch.sandbox.private_pulse import PrivatePulse

TV = ("alsa_output.pci-0000_03_00.1.hdmi-stereo", "HDMI TV")
TV2 = ("alsa_output.pci-0000_03_00.1.hdmi-stereo-extra1", "HDMI TV (second input)")
DESK = ("alsa_output.usb-Generic_USB_Audio-00.analog-stereo", "Desk Speakers")
HEADSET = ("alsa_output.usb-Logitech_G435-00.analog-stereo", "G435 Headset")

# `with sound(sinks) as server:` gives a private PulseAudio or sinks on a private PipeWire
SoundServers = Callable[[list[tuple[str, str]]], AbstractContextManager[PrivatePulse]]

EVENT_TIMEOUT = 20.0  # a guard against hanging, not a performance expectation


class Recorder:
    """Collects AudioEvents on the loop, as the daemon's callback would."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[AudioEvent] = asyncio.Queue()
        self.seen: list[AudioEvent] = []

    def __call__(self, event: AudioEvent) -> None:
        self.seen.append(event)
        self.queue.put_nowait(event)

    async def wait_for(self, wanted: AudioEvent) -> list[AudioEvent]:
        """Events up to and including `wanted`."""
        got: list[AudioEvent] = []
        while wanted not in got:
            got.append(await asyncio.wait_for(self.queue.get(), EVENT_TIMEOUT))
        return got


def placement(seen: AudioObservation) -> dict[int, str]:
    return {stream.index: stream.sink for stream in seen.streams}


async def eventually(backend: PulseAudioBackend, check: Callable[[AudioObservation], bool]) -> AudioObservation:
    """What the server does by itself after an event: PulseAudio has done it when the event
    arrives, on PipeWire WirePlumber does it a moment later (rescuing streams from a sink that
    went). Looks again until `check` holds; EVENT_TIMEOUT only guards against hanging."""
    deadline = asyncio.get_running_loop().time() + EVENT_TIMEOUT
    while not check(seen := await backend.observe()):
        assert asyncio.get_running_loop().time() < deadline, f"the server never got there: {seen}"
        await asyncio.sleep(0.02)
    return seen


async def switch(backend: PulseAudioBackend, target: AudioTarget) -> list[Step]:
    """Observe, plan, apply; returns the steps that ran."""
    profiles, sinks = plan_audio(target, await backend.observe())
    for step in profiles + sinks:
        await backend.apply(step)
    return profiles + sinks


async def undo(backend: PulseAudioBackend, steps: Iterable[Step]) -> None:
    for step in reversed(list(steps)):
        assert step.undo is not None
        await backend.apply(step.undo)
