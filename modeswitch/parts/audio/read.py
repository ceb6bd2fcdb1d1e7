"""Reads a mode file's `audio` part."""

from __future__ import annotations

from modeswitch.config.yamlnodes import Node
from modeswitch.parts.audio.spec import AudioTarget, SinkMatchBy, WhenMissing
from modeswitch.suggest import suggest


def _read_audio(node: Node) -> AudioTarget:
    keys = node.mapping({"sink", "description", "move_streams", "volume", "mute", "when_missing"})
    if ("sink" in keys) == ("description" in keys):
        raise node.error("audio needs exactly one of 'sink' or 'description'",
                         "sink: exact name or glob, description: glob on the description")
    by = SinkMatchBy.NAME if "sink" in keys else SinkMatchBy.DESCRIPTION
    return AudioTarget(
        pattern=keys["sink" if by is SinkMatchBy.NAME else "description"].string(),
        match_by=by,
        move_streams=keys["move_streams"].boolean() if "move_streams" in keys else True,
        volume=keys["volume"].number(0.0, 1.5) if "volume" in keys else None,
        mute=keys["mute"].boolean() if "mute" in keys else None,
        when_missing=_read_when_missing(keys["when_missing"]) if "when_missing" in keys else WhenMissing.FAIL,
    )


def _read_when_missing(node: Node) -> WhenMissing:
    value = node.string()
    try:
        return WhenMissing(value)
    except ValueError:
        raise node.error(f"unknown when_missing '{value}'", suggest(value, {w.value for w in WhenMissing})) from None


def read_audio(node: Node) -> AudioTarget | None:
    """`audio:` left empty leaves the sound alone, like leaving the key out."""
    return None if node.is_null else _read_audio(node)
