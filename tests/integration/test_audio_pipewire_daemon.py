"""The real daemon on PipeWire + WirePlumber: the TV's sink goes with the TV's power (standby,
DPMS) and comes back; WirePlumber moves the streams and the default by itself meanwhile, and
the daemon's audio reconcile brings the seat back to the mode without any switch failing."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

from daemon_fixtures import Tree, wait_for
from pipewire_fixtures import linked_sinks, metadata_targets, unique
from reconcile_fixtures import DESK, DESK_MODE, HDMI, TV_WAITS, audio_seat, default_sink, sink_of, status

from modeswitch.sandbox.private_pipewire import PrivatePipeWire


@contextlib.contextmanager
def daemon_log_on_failure(tree: Tree) -> Iterator[None]:
    try:
        yield
    except AssertionError as failed:
        raise AssertionError(f"{failed}; daemon log: {tree.log.read_text()[-3000:]}") from None


def test_the_tv_going_to_standby_and_back_is_followed_and_no_switch_fails(private_pipewire: PrivatePipeWire) -> None:
    game = unique("game")
    with audio_seat(TV_WAITS, DESK_MODE, private_pipewire.borrowed) as (tree, server), daemon_log_on_failure(tree):
        server.unload_sink(HDMI[0])  # the TV is off when the switch is asked for
        server.set_default(DESK[0])  # the desk mode's default: only the daemon makes the TV the default
        tree.start_daemon()
        stream = server.stream_of(server.play(app=game))
        assert stream is not None and sink_of(server, stream) == DESK[0]
        # the daemon's event connection is up once it has seen the new stream; a sink that
        # appeared before that would not be an event to it
        wait_for(lambda: "audio event: stream-added" in tree.log.read_text(), "the daemon to see the stream")
        switched = tree.cli("tv")
        assert switched.returncode == 0, switched.stdout + switched.stderr
        assert "audio waits" in switched.stdout
        for _standby in range(2):  # on, standby, on: the sink appears, goes, appears again
            server.load_sink(*HDMI)
            wait_for(lambda: default_sink(server) == HDMI[0], "the TV to become the default sink")
            wait_for(lambda: linked_sinks(server.pw_dump(), game) == {HDMI[0]}, "the game on the TV")
            server.unload_sink(HDMI[0])
            wait_for(lambda: linked_sinks(server.pw_dump(), game) == {DESK[0]}, "WirePlumber to rescue the game")
        server.load_sink(*HDMI)
        wait_for(lambda: sink_of(server, stream) == HDMI[0] and default_sink(server) == HDMI[0], "audio on the TV")
        assert metadata_targets(server.pw_dump(), game) == set()  # nothing left pinned by the moves
        seen = status(tree)
        assert (seen["mode"], seen["phase"]) == ("tv", "idle")
        assert seen["seat"]["audio"]["software"].startswith("PipeWire ")
        assert " with WirePlumber " in seen["seat"]["audio"]["software"]
        history = json.loads(tree.cli("history", "--json", "-n", "100").stdout)["records"]
        # the first time the TV came on the daemon moved audio (a record); later WirePlumber put
        # the default back itself, remembering it; nothing failed
        failed = [(r["failed_step"], r["error"], r["source"]) for r in history if not r["ok"]]
        assert history and not failed, failed
