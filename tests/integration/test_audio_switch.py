"""The audio backend against a real PulseAudio with real pacat streams."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading

import pytest
from pulse_fixtures import DESK, HEADSET, TV, TV2, SoundServers, eventually, placement, switch, undo

from modeswitch.errors import BackendError, PlanError
from modeswitch.model import Step, StepKind
from modeswitch.parts.audio.backend import PulseAudioBackend, unreachable
from modeswitch.parts.audio.plan import plan_audio
from modeswitch.parts.audio.spec import AudioTarget, SinkMatchBy
from modeswitch.sandbox.private_pulse import PrivatePulse


def by_description(pattern: str) -> AudioTarget:
    return AudioTarget(pattern, SinkMatchBy.DESCRIPTION)


def test_desk_tv_desk_moves_the_default_and_every_stream(sound: SoundServers) -> None:
    async def scenario(server: PrivatePulse) -> None:
        backend = PulseAudioBackend(server.server)
        try:
            await switch(backend, AudioTarget(DESK[0]))
            # one stream pinned to the desk sink, one started on the default: both must move
            server.play(sink=DESK[0], name="game")
            server.play(name="music")
            for target, sink in [
                (AudioTarget("*hdmi-stereo"), TV[0]),
                (by_description("Desk*"), DESK[0]),
                (by_description("*TV"), TV[0]),
                (AudioTarget(DESK[0]), DESK[0]),
            ]:
                steps = await switch(backend, target)
                seen = await backend.observe()
                assert [s.kind for s in steps] == [StepKind.AUDIO_SINK]
                assert seen.default_sink == sink
                assert set(placement(seen).values()) == {sink} and len(seen.streams) == 2
            assert await switch(backend, AudioTarget(DESK[0])) == []  # already there: no steps
        finally:
            await backend.close()

    with sound([DESK, TV, HEADSET]) as server:
        asyncio.run(scenario(server))


def test_a_glob_matching_two_sinks_is_an_error_naming_both(sound: SoundServers) -> None:
    async def scenario(server: PrivatePulse) -> None:
        backend = PulseAudioBackend(server.server)
        try:
            seen = await backend.observe()
            with pytest.raises(PlanError) as caught:
                plan_audio(AudioTarget("*hdmi-stereo*"), seen)
            assert TV[0] in str(caught.value) and TV2[0] in str(caught.value)
            with pytest.raises(PlanError, match="no sink matches description '.Bluetooth.'") as caught:
                plan_audio(by_description("*Bluetooth*"), seen)
            assert "Desk Speakers" in str(caught.value) and "HDMI TV" in str(caught.value)
        finally:
            await backend.close()

    with sound([DESK, TV, TV2]) as server:
        asyncio.run(scenario(server))


def test_a_step_for_a_missing_sink_fails_in_one_line_and_changes_nothing(sound: SoundServers) -> None:
    async def scenario(server: PrivatePulse) -> None:
        backend = PulseAudioBackend(server.server)
        try:
            [step] = await switch(backend, AudioTarget(TV[0]))
            before = await backend.observe()
            gone = Step.make(StepKind.AUDIO_SINK, "x", "x", {**step.args, "sink": "alsa_output.nope"})
            with pytest.raises(BackendError) as caught:
                await backend.apply(gone)
            text = str(caught.value)
            assert "no sink named alsa_output.nope" in text and "Desk Speakers" in text and "\n" not in text
            assert await backend.observe() == before
            # a mode with when_missing: wait whose sink went meanwhile (the TV to standby) waits
            await backend.apply(Step.make(StepKind.AUDIO_SINK, "x", "x", {**gone.args, "wait": True}))
            assert await backend.observe() == before
        finally:
            await backend.close()

    with sound([DESK, TV]) as server:
        server.play(sink=DESK[0])
        asyncio.run(scenario(server))


def test_rollback_restores_default_placement_volume_and_mute_exactly(sound: SoundServers) -> None:
    async def scenario(server: PrivatePulse) -> None:
        backend = PulseAudioBackend(server.server)
        try:
            await backend.apply(Step.make(StepKind.AUDIO_SINK, DESK[0], "", {"sink": DESK[0], "volume": 0.8}))
            await backend.apply(Step.make(StepKind.AUDIO_SINK, TV[0], "", {"sink": TV[0], "volume": 0.65}))
            await backend.apply(Step.make(StepKind.AUDIO_SINK, DESK[0], "", {"sink": DESK[0]}))
            server.play(sink=DESK[0], name="game")
            server.play(sink=HEADSET[0], name="voice chat")
            before = await backend.observe()
            done = await switch(backend, AudioTarget(TV[0], volume=0.3, mute=True))
            during = await backend.observe()
            assert during.default_sink == TV[0] and set(placement(during).values()) == {TV[0]}
            tv = next(s for s in during.sinks if s.name == TV[0])
            assert (tv.volume, tv.mute) == (pytest.approx(0.3, abs=0.001), True)
            # a later step of the same transition fails: the engine undoes what ran, in reverse
            failing = Step.make(StepKind.AUDIO_SINK, "x", "x", {"sink": "alsa_output.hdmi-gone"})
            with pytest.raises(BackendError):
                await backend.apply(failing)
            await undo(backend, done)
            # WirePlumber may relink a stream once more after the step has seen it in place
            await eventually(backend, lambda seen: seen == before)
            await undo(backend, done)  # undo is idempotent too
            await eventually(backend, lambda seen: seen == before)
        finally:
            await backend.close()

    with sound([DESK, TV, HEADSET]) as server:
        asyncio.run(scenario(server))


def test_applying_a_step_twice_is_a_no_op(sound: SoundServers) -> None:
    async def scenario(server: PrivatePulse) -> None:
        backend = PulseAudioBackend(server.server)
        try:
            [step] = await switch(backend, AudioTarget(TV[0], volume=0.5))
            first = await backend.observe()
            await backend.apply(step)
            assert await backend.observe() == first
        finally:
            await backend.close()

    with sound([DESK, TV]) as server:
        server.play()
        asyncio.run(scenario(server))


def test_no_server_is_reported_with_the_address_tried() -> None:
    async def scenario(address: str) -> None:
        backend = PulseAudioBackend(address)
        try:
            seen = await backend.observe()
            assert not seen.connected and seen.error is not None and address in seen.error
            with pytest.raises(PlanError, match="cannot reach the sound server"):
                plan_audio(AudioTarget("*"), seen)
            step = Step.make(StepKind.AUDIO_SINK, TV[0], "", {"sink": TV[0]})
            with pytest.raises(BackendError, match=f"no sound server at {address}"):
                await backend.apply(step)
        finally:
            await backend.close()

    with PrivatePulse([DESK]) as server:
        address = server.server
    asyncio.run(scenario(address))  # the server has gone, its socket path with it


def test_card_profile_step_for_an_unknown_card_names_the_cards(sound: SoundServers) -> None:
    """Null sinks have no card, so this is the part of the profile path a server without
    sound hardware can exercise: the check before anything is changed."""

    async def scenario(server: PrivatePulse) -> None:
        backend = PulseAudioBackend(server.server)
        try:
            seen = await backend.observe()
            assert seen.cards == ()
            args = {"card": "alsa_card.pci-0000_03_00.1", "profile": "output:hdmi-stereo"}
            with pytest.raises(BackendError, match="no sound card named alsa_card.pci-0000_03_00.1"):
                await backend.apply(Step.make(StepKind.AUDIO_PROFILE, "c", "", args))
            assert dataclasses.replace(await backend.observe()) == seen
        finally:
            await backend.close()

    with sound([DESK]) as server:
        asyncio.run(scenario(server))


def _connect_as_another_user(server: str) -> str:
    """Diagnose the socket from a forked child that has no access to its directory: as root
    that means becoming `nobody` (root passes any permission check), otherwise mode 000.
    Only the socket probe runs there: libpulse refuses to work in a forked child."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.close(read)
        try:
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            message = str(unreachable(server))
        except BaseException as exc:
            message = str(exc)
        os.write(write, message.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        text = pipe.read().decode()
    os.waitpid(child, 0)
    return text


def test_a_socket_we_may_not_open_is_reported_as_permission_denied() -> None:
    with PrivatePulse([DESK]) as server:
        assert server.dir is not None
        mode = server.dir.stat().st_mode
        server.dir.chmod(0)
        try:
            text = _connect_as_another_user(server.server)
        finally:
            server.dir.chmod(mode)
    assert text.startswith(f"permission denied on sound server socket {server.server}"), text


def test_a_sink_made_by_the_profile_step_before_is_waited_for(sound: SoundServers) -> None:
    """A card profile switch creates the HDMI sink; on PipeWire it appears after the switch was
    answered. The sink step the planner puts after it waits for the sink (a null sink loaded
    a moment later stands in for it: no card here), then does its work; without `appears`
    a missing sink is an error at once."""

    async def scenario(server: PrivatePulse) -> None:
        backend = PulseAudioBackend(server.server)
        try:
            seen = await backend.observe()
            [stream] = placement(seen)
            args = {"sink": TV[0], "moves": ((stream, TV[0]),), "sink_indices": {s.name: s.index for s in seen.sinks},
                    "volume": 0.5, "mute": None, "appears": True}
            later = threading.Timer(0.2, server.load_sink, TV)
            later.start()
            try:
                await backend.apply(Step.make(StepKind.AUDIO_SINK, TV[0], "audio to the TV", args))
            finally:
                later.join()
            after = await backend.observe()
            assert after.default_sink == TV[0]
            # WirePlumber may relink the stream once more as it takes in the new sink
            await eventually(backend, lambda seen: placement(seen) == {stream: TV[0]})
            with pytest.raises(BackendError, match=f"no sink named {TV2[0]}"):
                await backend.apply(Step.make(StepKind.AUDIO_SINK, TV2[0], "", {**args, "sink": TV2[0],
                                                                                "appears": False}))
        finally:
            await backend.close()

    with sound([DESK]) as server:
        server.play()
        asyncio.run(scenario(server))
