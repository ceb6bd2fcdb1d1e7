"""What WirePlumber remembers and what rules pin: read from its state files and config text.

A switch changes things WirePlumber saves ($XDG_STATE_HOME/wireplumber): the configured default
sink (default-nodes), a card's profile (default-profile) and, for a stream moved to a sink that
is not the default, that application's target (0.4: restore-stream, 0.5: stream-properties),
which sends the application's next stream there whatever the default is. modeswitch moves
streams only to the default, which clears a saved target; these functions find what is left
(from earlier moves by a mixer or a script) and rules that pin streams. Pure: text in.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

SAVED_TARGET_04 = re.compile(r"^Output/Audio:(?P<key>[\w.-]+):(?P<who>.+):target$")
SAVED_STREAM_05 = re.compile(r"^Output/Audio:(?P<key>[\w.-]+):(?P<who>.+)$")
RULE_TARGET = re.compile(r'(?:\[\s*"|\b)(?P<prop>target\.object|node\.target)"?\s*\]?\s*[=:]\s*"?(?P<sink>[^"\s,}]+)')
SWITCH_ON_CONNECT = "module-switch-on-connect"


@dataclass(frozen=True)
class Pin:
    """Streams that go to `sink` whatever the default: `who` names them, `where` says why."""

    who: str
    sink: str
    where: str


def _pairs(text: str | None) -> dict[str, str]:
    """A WirePlumber state file: a [section] line, then key=value lines."""
    pairs = (line.split("=", 1) for line in (text or "").splitlines() if "=" in line and not line.startswith("["))
    return {key.strip(): value.strip() for key, value in pairs}


def _who(key: str, value: str) -> str:
    return value if key == "application.name" else f"{key.removeprefix('media.')} {value}"


def saved_pins(restore_stream: str | None, stream_properties: str | None, where: str) -> list[Pin]:
    """Playback streams WirePlumber will send to a saved target (0.4 and 0.5 state files)."""
    pins = []
    for key, sink in _pairs(restore_stream).items():
        found = SAVED_TARGET_04.match(key)
        if found and sink:
            pins.append(Pin(_who(found["key"], found["who"]), sink, f"{where}/restore-stream"))
    for key, value in _pairs(stream_properties).items():
        found = SAVED_STREAM_05.match(key)
        target = _json_target(value) if found else None
        if found and target:
            pins.append(Pin(_who(found["key"], found["who"]), target, f"{where}/stream-properties"))
    return pins


def _json_target(value: str) -> str | None:
    try:
        loaded = json.loads(value)
    except ValueError:
        return None
    target = loaded.get("target") if isinstance(loaded, dict) else None
    return str(target) if target else None


def saved_default(default_nodes: str | None) -> str | None:
    return _pairs(default_nodes).get("default.configured.audio.sink") or None


def saved_profiles(default_profile: str | None) -> dict[str, str]:
    return _pairs(default_profile)


def rule_pins(where: str, text: str) -> list[Pin]:
    """Config lines (PipeWire .conf or WirePlumber 0.4 .lua) that give streams a target."""
    pins = []
    for number, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0] if where.endswith(".conf") else line.split("--", 1)[0]
        found = RULE_TARGET.search(code)
        if found:
            pins.append(Pin(f"the streams its rule matches ({found['prop']})", found["sink"], f"{where}:{number}"))
    return pins
