"""Reading a private PipeWire from outside modeswitch: the graph as `pw-dump` prints it (which
sink each stream is linked to, which target the "default" metadata holds for it) and what
WirePlumber wrote in its state dir."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from typing import Any

from modeswitch.errors import BackendError
from modeswitch.sandbox.private_pipewire import PrivatePipeWire, wait_until

Dump = list[dict[str, Any]]


def unique(app: str) -> str:
    """An application name no earlier test on the shared server has used (WirePlumber's memory
    is per application)."""
    return f"{app}-{uuid.uuid4().hex[:8]}"


def _kind(entry: dict[str, Any]) -> str:
    return str(entry["type"]).rsplit(":", 1)[-1]


def _nodes(dump: Dump) -> dict[int, dict[str, Any]]:
    return {e["id"]: e["info"]["props"] for e in dump if _kind(e) == "Node"}


def stream_nodes(dump: Dump, app: str) -> list[int]:
    return [i for i, props in _nodes(dump).items()
            if props.get("application.name") == app and props.get("media.class") == "Stream/Output/Audio"]


def linked_sinks(dump: Dump, app: str) -> set[str]:
    """The sinks the streams of `app` are linked to in the graph."""
    nodes, ids = _nodes(dump), set(stream_nodes(dump, app))
    return {str(nodes[e["info"]["input-node-id"]].get("node.name")) for e in dump
            if _kind(e) == "Link" and e["info"]["output-node-id"] in ids and e["info"]["input-node-id"] in nodes}


def default_metadata(dump: Dump) -> list[dict[str, Any]]:
    return next(e.get("metadata") or [] for e in dump
                if _kind(e) == "Metadata" and e["props"].get("metadata.name") == "default")


def metadata_targets(dump: Dump, app: str) -> set[str]:
    """The sinks the "default" metadata pins the streams of `app` to (target.object / target.node
    other than -1): what WirePlumber's restore-stream would save for the application."""
    nodes, ids = _nodes(dump), set(stream_nodes(dump, app))
    by_serial = {int(p.get("object.serial", -1)): str(p.get("node.name")) for p in nodes.values()}
    by_id = {i: str(p.get("node.name")) for i, p in nodes.items()}
    found = set()
    for entry in default_metadata(dump):
        value = entry.get("value")
        if entry["subject"] not in ids or value in (None, -1, "-1"):
            continue
        table = by_serial if entry["key"] == "target.object" else by_id if entry["key"] == "target.node" else {}
        if table:
            found.add(table.get(int(value), f"object {value}"))
    return found


def saved_target(server: PrivatePipeWire, app: str) -> str | None:
    """The sink WirePlumber saved for `app`: 0.4 writes restore-stream `…:application.name:APP:target`,
    0.5 writes stream-properties `…:application.name:APP` with a JSON value holding "target"."""
    key = f"Output/Audio:application.name:{app}"
    old = server.saved("restore-stream").get(f"{key}:target")
    if old is not None:
        return old
    new = server.saved("stream-properties").get(key)
    if new is None:
        return None
    target = json.loads(new).get("target")
    return str(target) if target is not None else None


def wait_for_save(server: PrivatePipeWire, since: float) -> None:
    """WirePlumber writes its state a second after a change: wait for a write after `since`."""
    def written() -> bool:
        files = list(server.state_dir.glob("*")) if server.state_dir.exists() else []
        return any(path.stat().st_mtime > since for path in files)

    wait_until(written, "WirePlumber to save its state")


def pin(server: PrivatePipeWire, app: str, sink: str) -> None:
    """Move the streams of `app` to `sink`, not the default, as a mixer does when you pick a
    sink for one application, and wait until WirePlumber has saved that target."""
    def pactl(*args: str) -> str:
        return subprocess.run(["pactl", f"--server={server.server}", *args], check=True, capture_output=True,
                              text=True).stdout

    index = server.stream_named(app)
    assert index is not None, f"{app} plays no stream"
    default = pactl("get-default-sink").strip()
    for _attempt in range(3):  # WirePlumber 0.5 now and then does not save a move made just after a link
        pactl("move-sink-input", str(index), sink)
        try:
            wait_until(lambda: saved_target(server, app) == sink, f"WirePlumber to save {app}'s target", 3.0)
            return
        except BackendError:
            pactl("move-sink-input", str(index), default)  # back, as the user tries again
    raise AssertionError(f"WirePlumber never saved {app}'s target {sink}")


def naive_switch(server: PrivatePipeWire, sink: str) -> None:
    """What a shell script does: every stream moved with pactl, then the default set — the order
    that pins each application to `sink` on WirePlumber."""
    def pactl(*args: str) -> str:
        return subprocess.run(["pactl", f"--server={server.server}", *args], check=True, capture_output=True,
                              text=True).stdout

    for line in pactl("list", "short", "sink-inputs").splitlines():
        pactl("move-sink-input", line.split()[0], sink)
    pactl("set-default-sink", sink)


def now() -> float:
    """A file time to compare mtimes with (the file system's clock, not a monotonic one)."""
    return time.time() - 0.01
