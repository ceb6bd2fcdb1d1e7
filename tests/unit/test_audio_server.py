"""Naming the sound server from what it says about itself and its session manager's process."""

from __future__ import annotations

import pytest

from modeswitch.parts.audio.server import is_pipewire, session_manager, software, wireplumber_version

# lines as /proc/PID/maps shows them for WirePlumber on Debian 12 and Debian 13
MAPS_04 = "7f3c2a000000-7f3c2a02e000 r--p 00000000 08:01 1234 /usr/lib/x86_64-linux-gnu/libwireplumber-0.4.so.0.4.13\n"
MAPS_05 = "7f1e4c000000-7f1e4c040000 r-xp 00000000 08:01 99 /usr/lib/x86_64-linux-gnu/libwireplumber-0.5.so.0.508.0\n"
WP = {"application.name": "WirePlumber", "application.process.id": "4242"}
EXPORT = {"application.name": "WirePlumber [export]", "application.process.id": "4242"}
GAME = {"application.name": "game", "application.process.id": "77"}


@pytest.mark.parametrize(("name", "version", "manager", "expected"), [
    ("pulseaudio", "16.1", None, "PulseAudio 16.1"),
    ("PulseAudio (on PipeWire 0.3.65)", "15.0.0", "WirePlumber 0.4.13", "PipeWire 0.3.65 with WirePlumber 0.4.13"),
    ("PulseAudio (on PipeWire 1.4.2)", "15.0.0", "WirePlumber 0.5.8", "PipeWire 1.4.2 with WirePlumber 0.5.8"),
    ("PulseAudio (on PipeWire 1.2.7)", "15.0.0", None, "PipeWire 1.2.7 with no session manager"),
    ("some other server", "2.0", None, "some other server 2.0"),
])
def test_software(name: str, version: str, manager: str | None, expected: str) -> None:
    assert software(name, version, manager) == expected
    assert is_pipewire(name) == ("PipeWire" in expected)


@pytest.mark.parametrize(("maps", "expected"), [
    (MAPS_04, "0.4.13"),
    (MAPS_05, "0.5.8"),
    ("7f00-7f01 r--p 0 08:01 1 /usr/lib/x86_64-linux-gnu/libpipewire-0.3.so.0.365.0\n", None),
    (None, None),  # not readable (another user, another pid namespace)
])
def test_wireplumber_version_from_its_mapped_library(maps: str | None, expected: str | None) -> None:
    assert wireplumber_version(maps) == expected


@pytest.mark.parametrize(("clients", "maps", "expected"), [
    ([GAME, EXPORT, WP], {4242: MAPS_04}, "WirePlumber 0.4.13"),
    ([WP], {}, "WirePlumber (version unknown)"),
    ([{"application.name": "pipewire-media-session", "application.process.id": "9"}], {9: MAPS_04},
     "pipewire-media-session (version unknown)"),
    ([GAME, EXPORT], {4242: MAPS_04}, "no session manager"),  # the export core alone is not the daemon's
    ([{"application.name": "WirePlumber"}], {}, "WirePlumber (version unknown)"),
])
def test_the_session_manager_is_the_client_that_names_itself_so(
        clients: list[dict[str, str]], maps: dict[int, str], expected: str) -> None:
    assert session_manager(clients, maps.get) == expected
