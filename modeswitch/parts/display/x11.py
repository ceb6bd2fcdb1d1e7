"""Display layouts through xrandr: read back with `xrandr --query`, set with one xrandr call.

One call for the whole layout lets X place every output at once (turning the TV on to the
right of the desk screen and making it primary is a single screen reconfiguration), and the
layout is always read back from the server, so a layout changed by hand is seen as it is.
Parsing and the argv are pure functions, tested on captured xrandr output.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from modeswitch.errors import BackendError
from modeswitch.model import Step, StepKind
from modeswitch.observed import satisfied, unknown_outputs
from modeswitch.parts.display.spec import DisplayObservation, OutputSetting

_HEADER = re.compile(
    r"^(?P<name>\S+) (?:connected|disconnected|unknown connection)(?P<primary> primary)?"
    r"(?: (?P<w>\d+)x(?P<h>\d+)\+(?P<x>\d+)\+(?P<y>\d+))?"
)
_CURRENT_MODE = re.compile(r"^\s+(?P<name>\S+)\s.*\*")
_TIMEOUT = 10.0  # xrandr answers in milliseconds; this only guards against a wedged server
_STDERR_LIMIT = 400


@dataclass(frozen=True)
class _Geometry:
    width: int
    height: int
    x: int
    y: int


@dataclass
class _Parsed:
    name: str
    primary: bool
    geometry: _Geometry | None
    mode: str | None = None


def parse_query(text: str) -> DisplayObservation:
    """Turn `xrandr --query` output into one OutputSetting per output, in xrandr's order.

    `mode` is the name of the current mode (what `--mode` takes back), or WxH from the
    geometry when no mode line is starred; `right_of` is derived from the geometry because
    xrandr reports positions, not relations.
    """
    parsed: list[_Parsed] = []
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            parsed.append(_Parsed(header["name"], bool(header["primary"]), _geometry(header)))
            continue
        current = _CURRENT_MODE.match(line)
        if current and parsed and parsed[-1].geometry is not None and parsed[-1].mode is None:
            parsed[-1].mode = current["name"]
    return DisplayObservation(tuple(_setting(p, parsed) for p in parsed))


def _geometry(header: re.Match[str]) -> _Geometry | None:
    if header["w"] is None:
        return None
    return _Geometry(int(header["w"]), int(header["h"]), int(header["x"]), int(header["y"]))


def _setting(output: _Parsed, everyone: list[_Parsed]) -> OutputSetting:
    here = output.geometry
    if here is None:
        return OutputSetting(output.name, enabled=False, primary=output.primary)
    left = [
        other.name
        for other in everyone
        if other.geometry is not None
        and other.name != output.name
        and other.geometry.x + other.geometry.width == here.x
        and other.geometry.y == here.y
    ]
    mode = output.mode or f"{here.width}x{here.height}"
    return OutputSetting(output.name, True, mode, output.primary, left[0] if left else None)


def build_argv(wanted: Iterable[OutputSetting]) -> list[str]:
    """xrandr's arguments setting every given output at once; `--auto` when no mode is named."""
    argv: list[str] = []
    for setting in wanted:
        argv += ["--output", setting.output]
        if not setting.enabled:
            argv.append("--off")
            continue
        argv += ["--mode", setting.mode] if setting.mode else ["--auto"]
        if setting.primary:
            argv.append("--primary")
        if setting.right_of:
            argv += ["--right-of", setting.right_of]
    return argv


def check_layout(wanted: Iterable[OutputSetting], seen: DisplayObservation) -> None:
    """Refuse a layout xrandr would half-apply: unknown names, or a neighbour left dark.

    xrandr ignores an unknown output with a warning and exit 0, and places an output "right
    of" a disabled one at 0,0 without complaint, so both are caught before it runs.
    """
    wanted = list(wanted)
    missing = unknown_outputs(wanted, seen)
    if missing:
        known = ", ".join(o.output for o in seen.outputs) or "none"
        raise BackendError(f"xrandr has no output named {', '.join(missing)}", f"outputs: {known}")
    lit = {o.output for o in seen.outputs if o.enabled}
    lit = (lit - {o.output for o in wanted if not o.enabled}) | {o.output for o in wanted if o.enabled}
    for setting in wanted:
        if setting.enabled and setting.right_of is not None and setting.right_of not in lit:
            raise BackendError(
                f"{setting.output} cannot be right of {setting.right_of}: that output would be off",
                f"enable {setting.right_of} in the same display list",
            )


class XrandrBackend:
    """Observes and sets the X display layout of `display` (else $DISPLAY of `env`).

    `env` defaults to this process's environment (XAUTHORITY comes from there too); `xrandr`
    is the program to run, for systems where it is not on PATH.
    """

    kinds = frozenset({StepKind.DISPLAY})

    def __init__(
        self, display: str | None = None, *, env: Mapping[str, str] | None = None, xrandr: str = "xrandr",
        timeout: float = _TIMEOUT,
    ) -> None:
        self.display = display
        self.env = env
        self.xrandr = xrandr
        self.timeout = timeout

    async def observe(self) -> DisplayObservation:
        return parse_query(await self._run(["--query"]))

    async def apply(self, step: Step) -> None:
        """Set the outputs that differ from what is observed; nothing runs when none do."""
        if step.kind is not StepKind.DISPLAY:
            raise BackendError(f"the display backend cannot apply {step.kind.value}")
        wanted = tuple(step.args["outputs"])
        seen = await self.observe()
        check_layout(wanted, seen)
        current = {o.output: o for o in seen.outputs}
        todo = [o for o in wanted if not satisfied(o, current.get(o.output))]
        if todo:
            await self._run(build_argv(todo))

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ if self.env is None else self.env)
        if self.display is not None:
            env["DISPLAY"] = self.display
        if not env.get("DISPLAY"):
            raise BackendError("no X display to set up", "set DISPLAY, or run modeswitch inside the X session")
        return env

    async def _run(self, args: list[str]) -> str:
        """xrandr's stdout; a timed-out or cancelled call is killed, so no xrandr outlives a step."""
        env = self._environment()
        argv = [self.xrandr, *args]
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=env,
            )
        except FileNotFoundError:
            raise BackendError(f"{self.xrandr} not found", "install x11-xserver-utils or xorg-xrandr") from None
        except OSError as exc:
            raise BackendError(f"cannot run xrandr: {exc.strerror}") from None
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), self.timeout)
        except (TimeoutError, asyncio.CancelledError) as exc:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
            if isinstance(exc, TimeoutError):
                raise BackendError(f"xrandr on {env['DISPLAY']} did not answer within {self.timeout:g} s") from None
            raise
        if process.returncode != 0:
            raise _failure(argv, env["DISPLAY"], process.returncode or 0, stderr)
        return stdout.decode(errors="replace")


def _failure(argv: list[str], display: str, code: int, stderr: bytes) -> BackendError:
    """xrandr's complaint as one line, with a hint for the one failure users hit most."""
    detail = " ".join(stderr.decode(errors="replace").split())[-_STDERR_LIMIT:]
    message = f"{' '.join(argv)} exited {code}" + (f": {detail}" if detail else "")
    if "Can't open display" in detail:
        return BackendError(message, f"is an X server running on {display}, and may this user connect to it?")
    return BackendError(message)
