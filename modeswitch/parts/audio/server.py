"""Which sound server answers: PulseAudio, or PipeWire's pulse server and its session manager.

The same libpulse calls mean different things on the two (README "PipeWire and WirePlumber"),
so `status` and `doctor` name the server. pipewire-pulse says "PulseAudio (on PipeWire X)";
the session manager is one of its clients, and WirePlumber's own version is not on the wire:
it is the version of the libwireplumber its process has mapped. Pure but for `maps_of`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

PIPEWIRE = re.compile(r"on PipeWire ([0-9][\w.~+-]*)")
LIBWIREPLUMBER = re.compile(r"libwireplumber-[0-9.]+\.so\.([0-9]+)\.([0-9]+)\.([0-9]+)")
MANAGERS = ("WirePlumber", "pipewire-media-session")  # application.name of the session manager


def is_pipewire(server_name: str) -> bool:
    return PIPEWIRE.search(server_name) is not None


def wireplumber_version(maps: str | None) -> str | None:
    """The version in the name of the libwireplumber a process has mapped (/proc/PID/maps).
    0.4 names the file after its version (.so.0.4.13); 0.5 as libpipewire does (.so.0.508.0 is
    0.5.8: minor × 100 + micro)."""
    found = LIBWIREPLUMBER.search(maps or "")
    if found is None:
        return None
    major, middle, last = (int(part) for part in found.groups())
    return f"{major}.{middle // 100}.{middle % 100}" if middle >= 100 else f"{major}.{middle}.{last}"


def session_manager(clients: Iterable[Mapping[str, str]], maps_of: Callable[[int], str | None]) -> str:
    """'WirePlumber 0.4.13', 'WirePlumber (version unknown)', or 'no session manager'."""
    for props in clients:
        name = props.get("application.name", "")
        if name not in MANAGERS:
            continue
        pid = props.get("application.process.id", "")
        version = wireplumber_version(maps_of(int(pid))) if pid.isdigit() and name == "WirePlumber" else None
        return f"{name} {version}" if version else f"{name} (version unknown)"
    return "no session manager"


def software(server_name: str, server_version: str, manager: str | None = None) -> str:
    """'PulseAudio 16.1' or 'PipeWire 0.3.65 with WirePlumber 0.4.13'."""
    found = PIPEWIRE.search(server_name)
    if found is None:
        name = "PulseAudio" if server_name.lower() == "pulseaudio" else server_name
        return f"{name} {server_version}".strip()
    return f"PipeWire {found.group(1)} with {manager or 'no session manager'}"


def read_maps(pid: int, proc: Path = Path("/proc")) -> str | None:
    """Another user's or namespace's process is not readable: then the version is unknown."""
    try:
        return (proc / str(pid) / "maps").read_text(errors="replace")
    except OSError:
        return None
