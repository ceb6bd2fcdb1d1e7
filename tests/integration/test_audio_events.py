"""Events from a real PulseAudio reach the loop and let the daemon re-plan: a TV sink that
appears after the transition, a stream started on the wrong sink, a server restart."""

from __future__ import annotations

import asyncio
import os
import threading

import pytest
from pulse_fixtures import DESK, TV, Recorder, SoundServers, eventually, placement, switch

from modeswitch.errors import PlanError
from modeswitch.parts.audio.backend import AudioEvent, PulseAudioBackend
from modeswitch.parts.audio.plan import plan_audio
from modeswitch.parts.audio.spec import AudioTarget
from modeswitch.sandbox.private_pipewire import PrivatePipeWire, wait_until
from modeswitch.sandbox.private_pulse import PrivatePulse

WANT_TV = AudioTarget("*hdmi-stereo")


def listener_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "pulse-events"]


def test_the_tv_sink_appearing_later_is_announced_and_then_planned(sound: SoundServers) -> None:
    async def scenario(server: PrivatePulse) -> None:
        events = Recorder()
        backend = PulseAudioBackend(server.server, events)
        try:
            with pytest.raises(PlanError, match="no sink matches.*Desk Speakers"):
                await switch(backend, WANT_TV)
            server.load_sink(*TV)  # the TV is switched on
            await events.wait_for(AudioEvent.SINK_ADDED)
            await switch(backend, WANT_TV)
            seen = await backend.observe()
            assert seen.default_sink == TV[0] and set(placement(seen).values()) == {TV[0]}
            # a stream pinned to the old sink starts while the mode wants the TV
            server.play(sink=DESK[0], name="late game")
            await events.wait_for(AudioEvent.STREAM_ADDED)
            await switch(backend, WANT_TV)
            assert set(placement(await backend.observe()).values()) == {TV[0]}
            server.unload_sink(TV[0])  # the TV is switched off: the server rescues the streams
            await events.wait_for(AudioEvent.SINK_REMOVED)
            await eventually(backend, lambda seen: set(placement(seen).values()) == {DESK[0]})
        finally:
            await backend.close()

    with sound([DESK]) as server:
        server.play(name="music")
        asyncio.run(scenario(server))
    assert listener_threads() == []


def test_a_tv_sink_off_and_on_again_between_plan_and_step_is_followed_by_its_new_index(
        sound: SoundServers) -> None:
    """The plan names sinks by index; the TV's sink comes back with a new one (standby and on
    again while a reconcile runs). The step is done with the index the server has now instead
    of failing with "sinks changed since the plan"."""
    async def scenario(server: PrivatePulse) -> None:
        backend = PulseAudioBackend(server.server)
        try:
            server.load_sink(*TV)
            await eventually(backend, lambda seen: TV[0] in {sink.name for sink in seen.sinks})
            profiles, sinks = plan_audio(WANT_TV, await backend.observe())
            planned = sinks[0].args["sink_indices"][TV[0]]
            server.unload_sink(TV[0])
            server.load_sink(*TV)
            seen = await backend.observe()
            now = next(sink.index for sink in seen.sinks if sink.name == TV[0])
            assert now != planned  # the case: the same name, another index
            for step in profiles + sinks:
                await backend.apply(step)
            seen = await backend.observe()
            assert seen.default_sink == TV[0] and set(placement(seen).values()) == {TV[0]}
        finally:
            await backend.close()

    with sound([DESK]) as server:
        server.play(name="game")
        asyncio.run(scenario(server))


def test_a_server_restart_is_lost_then_back_and_the_mode_can_be_reapplied(sound: SoundServers) -> None:
    async def scenario(server: PrivatePulse) -> None:
        events = Recorder()
        backend = PulseAudioBackend(server.server, events)
        try:
            await switch(backend, WANT_TV)
            remembers = isinstance(server, PrivatePipeWire)  # WirePlumber saves the default, PulseAudio forgets
            if isinstance(server, PrivatePipeWire):
                wait_until(lambda: server.saved("default-nodes").get("default.configured.audio.sink") == TV[0],
                           "WirePlumber to save the default sink")
            first_pid = server.pid
            server.stop()
            await events.wait_for(AudioEvent.SERVER_LOST)
            down = await backend.observe()
            assert not down.connected and down.error is not None and server.server in down.error
            server.start()
            await events.wait_for(AudioEvent.SERVER_BACK)
            assert server.pid != first_pid
            fresh = await backend.observe()
            assert fresh.connected and fresh.default_sink == (TV[0] if remembers else DESK[0])
            await switch(backend, WANT_TV)
            assert (await backend.observe()).default_sink == TV[0]
            assert events.seen.count(AudioEvent.SERVER_LOST) == 1
        finally:
            await backend.close()

    with sound([DESK, TV]) as server:
        asyncio.run(scenario(server))
    assert listener_threads() == []


def test_a_backend_started_while_the_server_is_down_reports_it_back_when_it_comes(sound: SoundServers) -> None:
    async def scenario(server: PrivatePulse) -> None:
        events = Recorder()
        server.stop()
        backend = PulseAudioBackend(server.server, events)
        try:
            await events.wait_for(AudioEvent.SERVER_LOST)
            server.start()
            await events.wait_for(AudioEvent.SERVER_BACK)
            assert (await backend.observe()).connected
        finally:
            await backend.close()

    with sound([DESK]) as server:
        asyncio.run(scenario(server))
    assert listener_threads() == []


def test_private_pulse_leaves_no_process_and_no_directory() -> None:
    with PrivatePulse([DESK, TV]) as server:
        players = [server.play(), server.play(sink=TV[0])]
        pids = [server.pid, *players]
        directory = server.dir
    assert directory is not None and not directory.exists()
    for pid in pids:
        assert pid is not None
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
