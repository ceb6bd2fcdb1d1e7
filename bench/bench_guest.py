"""Guest benchmark: the test guest's boot to its agent answering, and one guest action's round
trip through qemu-guest-agent, each beside a baseline measured in the same run.

    .venv/bin/python bench/bench_guest.py [--boots 3] [--actions 20]

- boot: start the embedded VM booting the Debian-built guest (TCG) until `wait_ready` returns
  (the agent lifecycle event, then guest-ping). Baseline: the same VM without a kernel, which
  reaches "running" and boots nothing. Target from the issue: agent answering within 10 s.
- restore: the same start from the saved booted guest (sandbox/saved_state.py), until the agent
  answered guest-sync and the clock is set; against the cold boot above.
- action: a GUEST step (`true` in the guest: guest-exec, then guest-exec-status until it
  exited) through GuestActions, as a switch runs it. Baseline: a hook step running `true` on
  the host through the HookRunner, the same engine path without the guest.
- session: the same `true` with `session: user` (guest-get-users, guest-get-osinfo, the probe,
  then setpriv as the guest's user) against the plain guest action of the same run; and a
  hotkey step (virDomainSendKey of one key, 10 ms hold) for what sending keys costs.
Prints medians and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from modeswitch.model import Step, StepKind
from modeswitch.parts.guest.backend import GuestActions
from modeswitch.parts.hooks.backend import HookRunner
from modeswitch.sandbox.embedded_vm import EmbeddedVm
from modeswitch.sandbox.guest_image import ensure_guest


async def boot_ms(root: Path, boots: int, with_guest: bool, saved: bool = False) -> list[float]:
    guest = ensure_guest() if with_guest else None
    times = []
    for n in range(boots):
        # One name for the restored ones: a saved state belongs to one domain definition.
        name = "bench-saved" if saved else f"bench-{'guest' if with_guest else 'bare'}-{n}"
        vm = EmbeddedVm(name, pads=0, start=False, root=root, guest=guest, saved=saved)
        async with vm:
            agent = vm.agent()
            await agent.connect()
            try:
                began = time.perf_counter()
                await vm.start()
                if with_guest:
                    await agent.wait_ready(120)
                times.append((time.perf_counter() - began) * 1000)
            finally:
                await agent.close()
    return times


USER_STEP = Step.make(StepKind.GUEST, "true", "guest, in the user's session, true",
                      {"argv": ("true",), "timeout": 30.0, "session": "user", "user": None})
KEYS_STEP = Step.make(StepKind.GUEST, "keyboard", "guest keys KEY_LEFTCTRL",
                      {"keys": (29,), "names": ("KEY_LEFTCTRL",), "hold": 0.01})


async def action_ms(root: Path, actions: int) -> tuple[list[float], ...]:
    hooks = HookRunner()
    host_step = Step.make(StepKind.HOOK, "true", "hook true", {"argv": ("true",), "timeout": 10.0})
    guest_step = Step.make(StepKind.GUEST, "true", "guest true", {"argv": ("true",), "timeout": 30.0})
    async with EmbeddedVm("bench-actions", pads=0, root=root, guest=ensure_guest()) as vm:
        agent = vm.agent()
        await agent.connect()
        try:
            await agent.wait_ready(120)
            runner = GuestActions(agent)
            guest, host, user, keys = [], [], [], []
            for _ in range(actions):
                for step, runs, times in ((guest_step, runner, guest), (host_step, hooks, host),
                                          (USER_STEP, runner, user), (KEYS_STEP, runner, keys)):
                    began = time.perf_counter()
                    await runs.apply(step)
                    times.append((time.perf_counter() - began) * 1000)
        finally:
            await agent.close()
    return guest, host, user, keys


def line(label: str, values: list[float]) -> str:
    return f"{label:<34} median {statistics.median(values):9.1f} ms  (min {min(values):.1f}, max {max(values):.1f})"


async def main(boots: int, actions: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="msw-bench-guest-"))
    try:
        print("building or reusing the guest image ...")
        began = time.perf_counter()
        ensure_guest()
        print(f"guest image ready in {(time.perf_counter() - began) * 1000:.0f} ms (a cache hit is one apt-cache call)")
        bare = await boot_ms(root, boots, with_guest=False)
        booted = await boot_ms(root, boots, with_guest=True)
        print(line("VM start, boots nothing (baseline)", bare))
        print(line("VM start → guest agent answers", booted))
        print(f"ratio guest boot / bare start: {statistics.median(booted) / statistics.median(bare):.1f}x; "
              f"target 10 s: {'met' if statistics.median(booted) <= 10_000 else 'MISSED'}")
        await boot_ms(root, 1, with_guest=True, saved=True)  # makes the saved state, if there is none
        restored = await boot_ms(root, boots, with_guest=True, saved=True)
        print(line("VM start → restored guest settled", restored))
        print(f"ratio guest boot / restore: {statistics.median(booted) / statistics.median(restored):.1f}x")
        guest, host, user, keys = await action_ms(root, actions)
        print(line("host hook `true` (baseline)", host))
        print(line("guest action `true` via the agent", guest))
        print(f"ratio guest action / host hook: {statistics.median(guest) / statistics.median(host):.1f}x")
        print(line("`true` in the user's session", user))
        print(f"ratio session: user / session: system: {statistics.median(user) / statistics.median(guest):.1f}x")
        print(line("hotkey (sendKey, 1 key)", keys))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boots", type=int, default=3)
    parser.add_argument("--actions", type=int, default=20)
    options = parser.parse_args()
    asyncio.run(main(options.boots, options.actions))
