"""Display layouts on sway, through sway's own IPC socket ($SWAYSOCK).

Why sway's IPC and not wlr-randr / wlr-output-management: on Debian 12, sway 1.7 reports its
outputs to that protocol as disabled with a 0x0 mode, and wlr-randr 0.2.0 then fails every
change with "failed to apply configuration", while the IPC reads and sets the real layout.
The IPC is a documented, stable JSON protocol (sway-ipc(7)) spoken here directly, so no
swaymsg has to be installed. sway answers "success" even when it could not commit an output
(its log says "Failed to commit output"), so every change is read back, and a layout that did
not take is put back as it was and reported.
"""

from __future__ import annotations

import asyncio
import json
import os
import struct
from collections.abc import Mapping, Sequence
from typing import Any

from modeswitch.errors import BackendError
from modeswitch.model import Step, StepKind
from modeswitch.observed import satisfied, unknown_outputs
from modeswitch.parts.display.layout import Head, arrange, changed, observation
from modeswitch.parts.display.spec import DisplayObservation, OutputSetting

MAGIC = b"i3-ipc"
RUN_COMMAND, GET_OUTPUTS = 0, 3
_HEADER = struct.Struct("=6sII")
_TIMEOUT = 10.0
_SETTLE = 1.0  # how long a change may take to show (a frame or two); a refusal costs this once
_SETTLE_POLL = 0.02


def encode(kind: int, payload: str = "") -> bytes:
    body = payload.encode()
    return _HEADER.pack(MAGIC, len(body), kind) + body


def parse_outputs(outputs: Sequence[Mapping[str, Any]]) -> tuple[Head, ...]:
    """GET_OUTPUTS' reply → heads. sway has no primary output, so none is ever primary."""
    heads = []
    for output in outputs:
        mode = output.get("current_mode") or {}
        rect = output.get("rect") or {}
        active = bool(output.get("active"))
        modes = output.get("modes") or []
        preferred = (modes[0]["width"], modes[0]["height"]) if modes else None
        heads.append(Head(
            output["name"], active, mode.get("width", 0) if active else 0, mode.get("height", 0) if active else 0,
            rect.get("x", 0), rect.get("y", 0), float(output.get("scale") or 1.0) if active else 1.0,
            preferred=preferred,
        ))
    return tuple(heads)


def commands(heads: Sequence[Head]) -> str:
    """One RUN_COMMAND payload setting the given heads; sway runs the `;`-separated list in order."""
    parts = []
    for head in heads:
        if not head.enabled:
            parts.append(f"output {head.name} disable")
        else:
            parts.append(f"output {head.name} enable mode {head.mode} position {head.x} {head.y}")
    return "; ".join(parts)


def pinned(before: Sequence[Head], after: Sequence[Head]) -> list[Head]:
    """Every lit output with its place, and the outputs that go dark. sway re-places outputs
    that have no configured position when another one moves, so all lit ones are pinned."""
    old = {head.name: head for head in before}
    return [h for h in after if h.enabled or old.get(h.name, h).enabled]


class SwayBackend:
    """Observes and sets sway's outputs over the IPC socket `socket` (else $SWAYSOCK of `env`)."""

    kinds = frozenset({StepKind.DISPLAY})

    def __init__(self, socket: str | None = None, *, env: Mapping[str, str] | None = None,
                 timeout: float = _TIMEOUT, settle: float = _SETTLE) -> None:
        self.socket = socket
        self.settle = settle
        self.env = env
        self.timeout = timeout

    async def observe(self) -> DisplayObservation:
        return observation(await self.heads(), primary_supported=False)

    async def heads(self) -> tuple[Head, ...]:
        return parse_outputs(await self._ask(GET_OUTPUTS))

    async def apply(self, step: Step) -> None:
        """Send only the outputs that change; read back, and put back what did not take."""
        if step.kind is not StepKind.DISPLAY:
            raise BackendError(f"the display backend cannot apply {step.kind.value}")
        wanted: tuple[OutputSetting, ...] = tuple(step.args["outputs"])
        before = await self.heads()
        seen = observation(before, primary_supported=False)
        _check(wanted, seen)
        target = arrange(before, [o for o in wanted if not satisfied(o, _current(seen, o))])
        if not changed(before, target):
            return
        await self._run(commands(pinned(before, target)))
        refused = await self._refused(wanted)
        if refused:
            await self._run(commands(pinned(await self.heads(), before)))
            raise BackendError(f"sway did not apply the layout for {', '.join(refused)}; it was put back",
                               "see sway's log; on headless sway 1.7 outputs cannot be disabled")

    async def _refused(self, wanted: Sequence[OutputSetting]) -> list[str]:
        """Outputs not yet as wanted. sway may commit a new mode with the next frame, after
        its IPC reply, so the layout is read back a few times within `settle` seconds."""
        deadline = asyncio.get_running_loop().time() + self.settle
        while True:
            after = observation(await self.heads(), primary_supported=False)
            refused = [o.output for o in wanted if not satisfied(o, _current(after, o))]
            if not refused or asyncio.get_running_loop().time() >= deadline:
                return refused
            await asyncio.sleep(_SETTLE_POLL)

    async def _run(self, payload: str) -> None:
        replies = await self._ask(RUN_COMMAND, payload)
        errors = [reply.get("error", "failed") for reply in replies if not reply.get("success")]
        if errors:
            raise BackendError(f"sway refused '{payload}': {errors[0]}")

    def _path(self) -> str:
        env = os.environ if self.env is None else self.env
        path = self.socket or env.get("SWAYSOCK")
        if not path:
            raise BackendError("no sway IPC socket", "set SWAYSOCK, or run modeswitch inside the sway session")
        return path

    async def _ask(self, kind: int, payload: str = "") -> Any:
        path = self._path()
        try:
            return await asyncio.wait_for(_exchange(path, encode(kind, payload)), self.timeout)
        except TimeoutError:
            raise BackendError(f"sway on {path} did not answer within {self.timeout:g} s") from None
        except OSError as exc:
            raise BackendError(f"cannot reach sway at {path}: {exc.strerror or exc}",
                               "is sway running, and is SWAYSOCK its socket?") from None


async def _exchange(path: str, message: bytes) -> Any:
    reader, writer = await asyncio.open_unix_connection(path)
    try:
        writer.write(message)
        await writer.drain()
        magic, length, _ = _HEADER.unpack(await reader.readexactly(_HEADER.size))
        if magic != MAGIC:
            raise BackendError(f"{path} does not speak sway's IPC")
        return json.loads(await reader.readexactly(length))
    except asyncio.IncompleteReadError:
        raise BackendError(f"sway closed {path} before answering") from None
    finally:
        writer.close()


def _current(seen: DisplayObservation, wanted: OutputSetting) -> OutputSetting | None:
    return next((o for o in seen.outputs if o.output == wanted.output), None)


def _check(wanted: Sequence[OutputSetting], seen: DisplayObservation) -> None:
    missing = unknown_outputs(wanted, seen)
    if missing:
        known = ", ".join(o.output for o in seen.outputs) or "none"
        raise BackendError(f"sway has no output named {', '.join(missing)}", f"outputs: {known}")
    if any(o.primary for o in wanted):
        raise BackendError("sway has no primary output", "remove primary: from the display list")
