"""Runs a mode's hook commands: argv lists, never a shell, each with its own timeout."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal

from modeswitch.errors import BackendError
from modeswitch.model import Step, StepKind

log = logging.getLogger(__name__)

_OUTPUT_LIMIT = 400  # characters of a failing hook's stderr worth putting in the error


class HookRunner:
    kinds = frozenset({StepKind.HOOK})

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.env = env

    async def apply(self, step: Step) -> None:
        argv = tuple(step.args["argv"])
        timeout = float(step.args.get("timeout", 10.0))
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE, start_new_session=True, env=self._environment(step),
            )
        except OSError as exc:
            raise BackendError(f"hook {argv[0]}: {exc.strerror}", "check the hook's argv") from None
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), timeout)
        except TimeoutError:
            self._kill(process.pid)
            await process.wait()
            raise BackendError(f"hook {argv[0]} did not finish within {timeout:g} s") from None
        except asyncio.CancelledError:
            self._kill(process.pid)
            raise
        if process.returncode != 0:
            detail = stderr.decode(errors="replace").strip()[-_OUTPUT_LIMIT:]
            code = process.returncode or 0
            how = f"was killed by signal {-code}" if code < 0 else f"exited {code}"
            raise BackendError(f"hook {argv[0]} {how}" + (f": {detail}" if detail else ""))

    def _environment(self, step: Step) -> dict[str, str]:
        env = dict(self.env if self.env is not None else os.environ)
        env["MODESWITCH_HOOK"] = step.description
        return env

    @staticmethod
    def _kill(pid: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
