"""What only PipeWire + WirePlumber do with the pulse calls modeswitch makes, checked from outside
(pw-dump, pactl, WirePlumber's state dir) on the real servers: a move to a sink that is not
the default pins the application there for its next stream, the default sink is remembered
across a restart, and the server names itself and its session manager."""

from __future__ import annotations

import asyncio
import re
import subprocess

from pipewire_fixtures import (
    linked_sinks,
    metadata_targets,
    naive_switch,
    now,
    saved_target,
    unique,
    wait_for_save,
)
from pulse_fixtures import DESK, TV, placement, switch
from reconcile_fixtures import default_sink

from modeswitch.errors import BackendError
from modeswitch.parts.audio.backend import PulseAudioBackend
from modeswitch.parts.audio.plan import plan_audio
from modeswitch.parts.audio.spec import AudioTarget
from modeswitch.sandbox.private_pipewire import PrivatePipeWire, wait_until

TO_TV, TO_DESK = AudioTarget("*hdmi-stereo"), AudioTarget(DESK[0])


def test_a_switch_leaves_no_application_pinned_and_the_next_stream_follows_the_mode(
        private_pipewire: PrivatePipeWire) -> None:
    game, native = unique("game"), unique("native-game")

    async def scenario(server: PrivatePipeWire) -> None:
        backend = PulseAudioBackend(server.server)
        try:
            await switch(backend, TO_DESK)
            first = server.play(app=game)  # a pulse client, and a native PipeWire one
            server.play_native(native)
            began = now()
            for target, sink in [(TO_TV, TV[0]), (TO_DESK, DESK[0]), (TO_TV, TV[0]), (TO_DESK, DESK[0])]:
                await switch(backend, target)
                dump = server.pw_dump()
                assert linked_sinks(dump, game) == {sink} and linked_sinks(dump, native) == {sink}
                assert metadata_targets(dump, game) == set() and metadata_targets(dump, native) == set()
            wait_for_save(server, began)  # a move to the default is saved as "no target"
            assert saved_target(server, game) is None and saved_target(server, native) is None
            # the game quits and starts again in desk mode: its new stream goes to the desk
            server.stop_stream(first)
            again = server.stream_of(server.play(app=game))
            wait_until(lambda: linked_sinks(server.pw_dump(), game) == {DESK[0]}, "the new stream on the desk")
            assert placement(await backend.observe())[again or -1] == DESK[0]
        finally:
            await backend.close()

    with private_pipewire.borrowed([DESK, TV]) as server:
        asyncio.run(scenario(server))


def test_a_naive_switch_pins_the_game_and_the_next_switch_frees_it(private_pipewire: PrivatePipeWire) -> None:
    """The order the backend avoids, done with pactl as a script would: the game is pinned to
    the TV and its next stream goes there in desk mode; modeswitch's move of that stream to
    the default (the reconcile a new stream causes) clears what WirePlumber saved."""
    game = unique("game")

    async def scenario(server: PrivatePipeWire) -> None:
        backend = PulseAudioBackend(server.server)
        try:
            first = server.play(app=game)
            # WirePlumber saves a target only for a stream it has taken in (linked)
            wait_until(lambda: linked_sinks(server.pw_dump(), game) == {DESK[0]}, "the game on the desk")
            for _attempt in range(3):  # WirePlumber 0.5 now and then does not save a move made just after a link
                server.set_default(DESK[0])
                naive_switch(server, TV[0])
                try:
                    wait_until(lambda: saved_target(server, game) == TV[0], "WirePlumber to save the target", 3.0)
                    break
                except BackendError:
                    continue
            assert saved_target(server, game) == TV[0], "the wrong order never pinned the game"
            server.stop_stream(first)
            server.set_default(DESK[0])  # desk mode's default, with the game not running
            again = server.play(app=game)
            wait_until(lambda: linked_sinks(server.pw_dump(), game) == {TV[0]}, "the pinned game on the TV")
            await switch(backend, TO_DESK)  # what the daemon does on the new stream
            assert placement(await backend.observe())[server.stream_of(again) or -1] == DESK[0]
            assert metadata_targets(server.pw_dump(), game) == set()
            wait_until(lambda: saved_target(server, game) is None, "WirePlumber to forget the game's target")
        finally:
            await backend.close()

    with private_pipewire.borrowed([DESK, TV]) as server:
        asyncio.run(scenario(server))


def test_wireplumber_brings_the_default_back_after_a_restart(private_pipewire: PrivatePipeWire) -> None:
    """PulseAudio forgets the default with its process; WirePlumber saved it and restores it,
    so a restarted server is already in the mode and the next plan has nothing to do."""

    async def scenario(server: PrivatePipeWire) -> None:
        backend = PulseAudioBackend(server.server)
        try:
            began = now()
            await switch(backend, TO_TV)
            wait_for_save(server, began)
            wait_until(lambda: server.saved("default-nodes").get("default.configured.audio.sink") == TV[0],
                       "WirePlumber to save the default sink")
            server.stop()
            server.start()
            wait_until(lambda: default_sink(server) == TV[0], "WirePlumber to restore the default")
            assert plan_audio(TO_TV, await backend.observe()) == ([], [])
        finally:
            await backend.close()

    with private_pipewire.borrowed([DESK, TV]) as server:
        asyncio.run(scenario(server))


def test_the_observation_names_pipewire_and_wireplumber_with_their_versions(
        private_pipewire: PrivatePipeWire) -> None:
    """Checked against what the installed binaries say of themselves (`--version`)."""
    versions = private_pipewire.versions()
    pipewire = re.search(r"libpipewire (\S+)", versions["pipewire"])
    wireplumber = re.search(r"libwireplumber (\S+)", versions["wireplumber"])
    assert pipewire and wireplumber, versions
    seen = asyncio.run(_observe(private_pipewire.server))
    assert seen.software == f"PipeWire {pipewire.group(1)} with WirePlumber {wireplumber.group(1)}"


def test_the_observation_names_pulseaudio_with_its_version() -> None:
    from modeswitch.sandbox.private_pulse import PrivatePulse

    version = subprocess.run(["pulseaudio", "--version"], capture_output=True, text=True).stdout.split()[-1]
    with PrivatePulse([DESK]) as server:
        assert asyncio.run(_observe(server.server)).software == f"PulseAudio {version}"


async def _observe(address: str):  # type: ignore[no-untyped-def]
    backend = PulseAudioBackend(address)
    try:
        return await backend.observe()
    finally:
        await backend.close()
