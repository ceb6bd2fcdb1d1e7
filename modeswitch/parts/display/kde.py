"""Display layouts on KDE Plasma, through kscreen-doctor (libkscreen's command-line client).

kscreen-doctor -j prints the whole configuration as JSON, and one invocation with several
`output.NAME.setting` arguments is applied by KWin atomically. It is a Qt program: in a
Wayland session without QT_QPA_PLATFORM it may come up on XWayland and then sees XRandR's
view, so the wayland platform is asked for. Every change is read back; a layout KWin did not
take is put back and reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from modeswitch.errors import BackendError
from modeswitch.model import Step, StepKind
from modeswitch.observed import satisfied, unknown_outputs
from modeswitch.parts.display.layout import Head, arrange, changed, observation
from modeswitch.parts.display.spec import DisplayObservation, OutputSetting

_TIMEOUT = 20.0
Modes = dict[str, tuple[tuple[str, int, int, float], ...]]


def parse_config(text: str) -> tuple[tuple[Head, ...], Modes]:
    """`kscreen-doctor -j` → heads (connected outputs only) and each output's modes."""
    heads, modes = [], {}
    for output in json.loads(text).get("outputs", []):
        if output.get("connected"):
            listed = tuple((str(m["id"]), m["size"]["width"], m["size"]["height"], float(m.get("refreshRate", 0)))
                           for m in output.get("modes", []))
            heads.append(_head(output, listed))
            modes[output["name"]] = listed
    return tuple(heads), modes


def _head(output: Mapping[str, Any], listed: tuple[tuple[str, int, int, float], ...]) -> Head:
    """Plasma 5.27 says `priority` (1 is the primary output); older ones `primary`."""
    current = next((m for m in listed if m[0] == str(output.get("currentModeId"))), None)
    preferred_ids = [str(i) for i in output.get("preferredModes", [])]
    preferred = next((m for m in listed if m[0] in preferred_ids), current or (listed[0] if listed else None))
    size = (preferred[1], preferred[2]) if preferred else None
    if not output.get("enabled") or current is None:
        return Head(output["name"], False, preferred=size)
    primary = output.get("priority") == 1 or output.get("primary") is True
    return Head(output["name"], True, current[1], current[2], output["pos"]["x"], output["pos"]["y"],
                float(output.get("scale", 1)), primary, size)


def arguments(heads: Sequence[Head], modes: Modes) -> list[str]:
    """kscreen-doctor's arguments setting the given heads in one atomic call."""
    args = []
    for head in heads:
        prefix = f"output.{head.name}."
        if not head.enabled:
            args.append(prefix + "disable")
            continue
        args += [prefix + "enable", prefix + "mode." + _mode_id(head, modes[head.name]),
                 f"{prefix}position.{head.x},{head.y}"]
        if head.primary:
            args.append(prefix + "priority.1")
    return args


def _mode_id(head: Head, modes: Sequence[tuple[str, int, int, float]]) -> str:
    fitting = [m for m in modes if (m[1], m[2]) == (head.width, head.height)]
    if not fitting:
        offered = ", ".join(sorted({f"{m[1]}x{m[2]}" for m in modes}))
        raise BackendError(f"{head.name} has no mode {head.mode}", f"modes: {offered}")
    return max(fitting, key=lambda m: m[3])[0]


class KscreenBackend:
    """Observes and sets KDE Plasma's outputs with `kscreen-doctor` in the session of `env`."""

    kinds = frozenset({StepKind.DISPLAY})

    def __init__(self, *, env: Mapping[str, str] | None = None, program: str = "kscreen-doctor",
                 timeout: float = _TIMEOUT) -> None:
        self.env = env
        self.program = program
        self.timeout = timeout

    async def observe(self) -> DisplayObservation:
        heads, _ = parse_config(await self._run(["-j"]))
        return observation(heads)

    async def apply(self, step: Step) -> None:
        if step.kind is not StepKind.DISPLAY:
            raise BackendError(f"the display backend cannot apply {step.kind.value}")
        wanted: tuple[OutputSetting, ...] = tuple(step.args["outputs"])
        before, modes = parse_config(await self._run(["-j"]))
        seen = observation(before)
        missing = unknown_outputs(wanted, seen)
        if missing:
            known = ", ".join(h.name for h in before) or "none"
            raise BackendError(f"KDE has no output named {', '.join(missing)}", f"outputs: {known}")
        current = {o.output: o for o in seen.outputs}
        todo = changed(before, arrange(before, [o for o in wanted if not satisfied(o, current[o.output])]))
        if not todo:
            return
        await self._run(arguments(todo, modes))
        after, _ = parse_config(await self._run(["-j"]))
        lit = {o.output: o for o in observation(after).outputs}
        refused = [o.output for o in wanted if not satisfied(o, lit.get(o.output))]
        if refused:
            await self._run(arguments(changed(after, before), modes))
            raise BackendError(f"KWin did not apply the layout for {', '.join(refused)}; it was put back",
                               "see `kscreen-doctor -o`")

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ if self.env is None else self.env)
        if not env.get("WAYLAND_DISPLAY"):
            raise BackendError("no Wayland display to set up", "run modeswitch inside the Plasma session")
        env.setdefault("QT_QPA_PLATFORM", "wayland")
        return env

    async def _run(self, args: list[str]) -> str:
        env = self._environment()
        try:
            process = await asyncio.create_subprocess_exec(
                self.program, *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=env)
        except FileNotFoundError:
            raise BackendError(f"{self.program} not found", "install libkf5screen-bin (kscreen)") from None
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), self.timeout)
        except (TimeoutError, asyncio.CancelledError) as exc:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            if isinstance(exc, TimeoutError):
                raise BackendError(f"kscreen-doctor did not answer within {self.timeout:g} s") from None
            raise
        if process.returncode != 0:
            raise BackendError(f"kscreen-doctor {' '.join(args)} exited {process.returncode}: "
                               + _complaint(stdout + stderr))
        return stdout.decode(errors="replace")


def _complaint(output: bytes) -> str:
    """kscreen-doctor's own sentence ("Output mode 1280x720 not found."), without Qt's debug lines."""
    text = output.decode(errors="replace")
    lines = [line for line in text.splitlines() if line and not line.startswith(("kscreen", "qt."))]
    return " ".join(lines)[-300:] or "no message"
