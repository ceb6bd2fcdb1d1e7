"""Runs a mode's hook commands: argv lists, never a shell, each with its own timeout.

A hook must not outlive the process that enforces its timeout: it dies with its spawner
(PR_SET_PDEATHSIG) and its run is recorded, so the next daemon ends whatever is left of it
(see processes.py). A hook that finished leaves nothing recorded; what it started in the
background on purpose is its own business.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

from modeswitch.errors import BackendError
from modeswitch.model import Step, StepKind
from modeswitch.parts.processes import RunRecords, child_env, die_with_parent, kill_group

log = logging.getLogger(__name__)

_OUTPUT_LIMIT = 400  # characters of a failing hook's stderr worth putting in the error


class HookRunner:
    kinds = frozenset({StepKind.HOOK})

    def __init__(self, env: dict[str, str] | None = None, records: RunRecords | None = None) -> None:
        self.env = env
        self.records = records

    async def apply(self, step: Step) -> None:
        argv = tuple(step.args["argv"])
        timeout = float(step.args.get("timeout", 10.0))
        run = self.records.begin(step.description) if self.records is not None else None
        env = self._environment(step)
        if run is not None and self.records is not None:
            env = child_env(env, self.records.owner, run.id)
        try:
            process = await self._spawn(die_with_parent(argv, env), env)
        except OSError as exc:
            if run is not None and self.records is not None:
                self.records.finish(run, kill=False)
            raise BackendError(f"hook {argv[0]}: {exc.strerror}", "check the hook's argv") from None
        try:
            stderr = await self._wait(process, argv[0], timeout)
        finally:
            if run is not None and self.records is not None:
                self.records.finish(run, kill=process.returncode is None or process.returncode < 0)
        if process.returncode != 0:
            detail = stderr.decode(errors="replace").strip()[-_OUTPUT_LIMIT:]
            code = process.returncode or 0
            how = f"was killed by signal {-code}" if code < 0 else f"exited {code}"
            raise BackendError(f"hook {argv[0]} {how}" + (f": {detail}" if detail else ""))

    @staticmethod
    async def _spawn(argv: tuple[str, ...], env: dict[str, str]) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE, start_new_session=True, env=env,
        )

    @staticmethod
    async def _wait(process: asyncio.subprocess.Process, name: str, timeout: float) -> bytes:
        """The hook's stderr once it exits; its whole group is killed on timeout or cancel."""
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), timeout)
            return stderr
        except TimeoutError:
            kill_group(process.pid)
            await process.wait()
            raise BackendError(f"hook {name} did not finish within {timeout:g} s") from None
        except asyncio.CancelledError:
            kill_group(process.pid)
            with contextlib.suppress(asyncio.CancelledError):
                await process.wait()  # reaped here: no zombie, no transport outliving the loop
            raise

    def _environment(self, step: Step) -> dict[str, str]:
        env = dict(self.env if self.env is not None else os.environ)
        env["MODESWITCH_HOOK"] = step.description
        return env
