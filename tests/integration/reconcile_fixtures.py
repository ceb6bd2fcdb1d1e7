"""Helpers for daemon-level reconcile tests on a real private PulseAudio: a daemon tree whose
modes move audio, and a pulsectl view of the server to check (and change) it from outside,
the way a user's other programs would."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pulsectl
from daemon_fixtures import Tree, make_tree, subreaper
from pulse_fixtures import SoundServers

from modeswitch.sandbox.private_pulse import PrivatePulse

HDMI = ("alsa_output.pci-0000_03_00.1.hdmi-stereo", "HDMI TV")
DESK = ("alsa_output.usb-Generic_USB_Audio-00.analog-stereo", "Desk speakers")
VIEWER = '  argv: [sleep, "1000"]\n'

TV_MODE = f"name: tv\nlooking_glass: false\naudio:\n  sink: {HDMI[0]}\n"
DESK_MODE = f"name: desk\nlooking_glass:\n  run: true\n{VIEWER}audio:\n  sink: {DESK[0]}\n"
TV_WAITS = 'name: tv\nlooking_glass: false\naudio:\n  description: "HDMI TV"\n  when_missing: wait\n'
TV_AUDIO_ONLY = f"name: tv\naudio:\n  sink: {HDMI[0]}\n"
DESK_AUDIO_ONLY = f"name: desk\naudio:\n  sink: {DESK[0]}\n"


@contextlib.contextmanager
def audio_seat(tv: str, desk: str, sound: SoundServers = PrivatePulse) -> Iterator[tuple[Tree, PrivatePulse]]:
    """A private server (PulseAudio unless `sound` says otherwise) with both sinks, and a tree
    whose config points the daemon at it. Mode texts are written verbatim (no str.format: YAML
    flow mappings use braces)."""
    with subreaper(), sound([HDMI, DESK]) as pulse:
        tree = make_tree()
        try:
            tree.config.write_text(f"default_mode: desk\ntoggle: [desk, tv]\nlooking_glass:\n  grace: 1\n"
                                   f"audio:\n  server: {pulse.server}\n")
            (tree.modes / "tv.yaml").write_text(tv)
            (tree.modes / "desk.yaml").write_text(desk)
            yield tree, pulse
        finally:
            tree.cleanup()


@contextlib.contextmanager
def client(pulse: PrivatePulse) -> Iterator[pulsectl.Pulse]:
    connection = pulsectl.Pulse("modeswitch-test", server=pulse.server, connect=False)
    connection.connect(autospawn=False)
    try:
        yield connection
    finally:
        connection.close()


def default_sink(pulse: PrivatePulse) -> str:
    with client(pulse) as connection:
        return str(connection.server_info().default_sink_name)


def sink_of(pulse: PrivatePulse, stream: int) -> str | None:
    with client(pulse) as connection:
        names = {sink.index: sink.name for sink in connection.sink_list()}
        for each in connection.sink_input_list():
            if each.index == stream:
                return names.get(each.sink)
    return None


def unload_sink(pulse: PrivatePulse, name: str) -> None:
    """Any sink, also one the server's start-up script loaded (PrivatePulse.unload_sink knows
    only the ones it loaded itself): the TV switched off."""
    with client(pulse) as connection:
        sink = connection.get_sink_by_name(name)
        connection.module_unload(sink.owner_module)


def set_default(pulse: PrivatePulse, name: str) -> None:
    """Behind the daemon's back: the default sink (streams that follow it move along)."""
    with client(pulse) as connection:
        connection.sink_default_set(connection.get_sink_by_name(name))


def move_streams(pulse: PrivatePulse, name: str) -> None:
    """Behind the daemon's back: every stream to `name` (one moved off the default stays put)."""
    with client(pulse) as connection:
        sink = connection.get_sink_by_name(name)
        for stream in connection.sink_input_list():
            connection.sink_input_move(stream.index, sink.index)


def status(tree: Tree) -> dict[str, Any]:
    done = tree.cli("status", "--json")
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result
