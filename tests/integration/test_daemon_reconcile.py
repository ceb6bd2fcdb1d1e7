"""The real daemon, as a subprocess, keeping a real PulseAudio in line with the mode it is in,
and reading the seat back from the world after a restart (README "How a switch runs" 4, and
rule 5 of the architecture: state is read back, not remembered)."""

from __future__ import annotations

from reconcile_fixtures import (
    DESK,
    DESK_AUDIO_ONLY,
    DESK_MODE,
    HDMI,
    TV_AUDIO_ONLY,
    TV_MODE,
    TV_WAITS,
    audio_seat,
    default_sink,
    move_streams,
    set_default,
    sink_of,
    status,
    unload_sink,
)
from support.waiting import wait_for


def test_a_stream_started_on_the_desk_sink_in_tv_mode_is_moved_to_hdmi() -> None:
    with audio_seat(TV_MODE, DESK_MODE) as (tree, pulse):
        set_default(pulse, DESK[0])
        tree.start_daemon()
        switched = tree.cli("tv")
        assert switched.returncode == 0, switched.stdout + switched.stderr
        assert default_sink(pulse) == HDMI[0]
        stream = pulse.stream_of(pulse.play(DESK[0], name="explicitly on the desk"))
        assert stream is not None
        wait_for(lambda: sink_of(pulse, stream) == HDMI[0], "the daemon to move the new stream to HDMI")
        assert default_sink(pulse) == HDMI[0]
        assert status(tree)["mode"] == "tv"


def test_tv_off_the_switch_goes_ahead_and_audio_follows_when_the_tv_comes_on() -> None:
    with audio_seat(TV_WAITS, DESK_MODE) as (tree, pulse):
        unload_sink(pulse, HDMI[0])
        stream = pulse.stream_of(pulse.play())
        assert stream is not None and sink_of(pulse, stream) == DESK[0]
        tree.start_daemon()
        switched = tree.cli("tv")
        assert switched.returncode == 0, switched.stdout + switched.stderr
        assert "audio waits" in switched.stdout
        assert status(tree)["mode"] == "tv"
        pulse.load_sink(*HDMI)  # the TV is switched on
        wait_for(lambda: default_sink(pulse) == HDMI[0], "the daemon to make the TV the default sink")
        wait_for(lambda: sink_of(pulse, stream) == HDMI[0], "the daemon to move the stream to the TV")


def test_a_restarted_daemon_reports_what_it_observes_not_what_it_remembers() -> None:
    with audio_seat(TV_AUDIO_ONLY, DESK_AUDIO_ONLY) as (tree, pulse):
        stream = pulse.stream_of(pulse.play())
        set_default(pulse, DESK[0])
        daemon = tree.start_daemon()
        assert tree.cli("tv").returncode == 0
        assert stream is not None and sink_of(pulse, stream) == HDMI[0]
        assert tree.stop(daemon) == 0
        daemon = tree.start_daemon()
        assert (status(tree)["mode"], status(tree)["phase"]) == ("tv", "idle")
        assert tree.stop(daemon) == 0
        set_default(pulse, DESK[0])
        move_streams(pulse, HDMI[0])  # default on the desk, the stream on the TV: neither mode
        daemon = tree.start_daemon()
        assert (status(tree)["mode"], status(tree)["phase"]) == (None, "unknown")
        assert tree.stop(daemon) == 0
        move_streams(pulse, DESK[0])
        daemon = tree.start_daemon()
        assert (status(tree)["mode"], status(tree)["phase"]) == ("desk", "idle")  # history says tv
        assert tree.stop(daemon) == 0
        assert (default_sink(pulse), sink_of(pulse, stream)) == (DESK[0], DESK[0])  # nothing was changed
