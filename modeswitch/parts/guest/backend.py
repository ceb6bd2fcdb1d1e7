"""Programs run inside the VM through qemu-guest-agent (`guest-exec`), via libvirt.

Half of a real mode change happens in the guest (which screen Windows draws on, which audio
device it plays to). The agent is the one channel into it that needs no network: libvirt
relays `guest-exec` / `guest-exec-status` with `qemuAgentCommand`.

Waiting for the agent is event driven: libvirt reports the guest opening or closing its end
of the `org.qemu.guest_agent.0` channel (VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE), and the live
XML says the current state. While nothing happens nothing runs. Only a program that is
running is asked for its status again (the agent has no exit notification), with a growing
interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import libvirt
import libvirt_qemu

from modeswitch.errors import BackendError, StepTimeout
from modeswitch.model import Step, StepKind
from modeswitch.parts.guest.agent import (
    AGENT_CHANNEL,
    CHANNEL_HINT,
    CHANNEL_XML,
    AgentState,
    GuestAgent,
    GuestRun,
    agent_command,
    agent_error,
    channel_state,
    exec_command,
    finished_run,
    status_command,
)
from modeswitch.parts.guest.observe import observe_guest
from modeswitch.parts.guest.session import run_in_session, wait_exit
from modeswitch.parts.guest.spec import GuestObservation, GuestSession
from modeswitch.parts.vm.connection import EVENT_IMPL, ensure_event_loop, lookup_domain, open_connection

T = TypeVar("T")


ConnectionSource = Callable[[], "libvirt.virConnect | None"]


class LibvirtGuestAgent:
    """GuestAgent over libvirt_qemu.qemuAgentCommand, on its own worker thread (a program
    running for 30 s in the guest must not hold up the VM backend's calls).

    `shared` hands over the libvirt connection another part already holds (the VM backend's;
    it may change after a reconnect). libvirt connections are thread safe, and every embedded
    connection a process opens registers libvirt's QEMU driver once more, up to a fixed table
    of about 16: a second connection per VM would halve what a process can open. Without
    `shared` the agent opens and closes its own.
    """

    def __init__(self, uri: str, domain: str, shared: ConnectionSource | None = None) -> None:
        self.uri, self.domain_name = uri, domain
        self._shared = shared
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guest-agent")
        self._own: libvirt.virConnect | None = None
        self._registered: tuple[libvirt.virConnect, int] | None = None
        self._changed = asyncio.Event()

    async def connect(self) -> None:
        ensure_event_loop(EVENT_IMPL)
        if self._shared is None:
            self._own = await self._call(open_connection, self.uri)

    async def close(self) -> None:
        registered, self._registered = self._registered, None
        own, self._own = self._own, None
        await self._call(self._unregister, registered, own)
        self._executor.shutdown(wait=False)

    @staticmethod
    def _unregister(registered: tuple[libvirt.virConnect, int] | None, own: libvirt.virConnect | None) -> None:
        with contextlib.suppress(libvirt.libvirtError):
            if registered is not None:
                registered[0].domainEventDeregisterAny(registered[1])
        with contextlib.suppress(libvirt.libvirtError):
            if own is not None:
                own.close()

    async def _connection(self) -> libvirt.virConnect:
        """The shared connection, or our own, opened now if it was not (libvirt was down when
        the daemon started) or has died since."""
        if self._shared is not None:
            conn = self._shared()
            if conn is None:
                raise BackendError("libvirt is not connected", "it reconnects by itself")
            return conn
        if self._own is None or not await self._call(_alive, self._own):
            self._own = await self._call(open_connection, self.uri)
        return self._own

    def _listen(self, conn: libvirt.virConnect) -> None:
        """Agent lifecycle events from this connection (again after a reconnect)."""
        if self._registered is not None and self._registered[0] is conn:
            return
        callback = conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE,
                                               self._agent_event, None)
        self._registered = (conn, callback)

    def _agent_event(self, _conn: Any, dom: libvirt.virDomain, _state: int, _reason: int, _o: Any) -> None:
        """On the event loop thread (libvirtaio): wake whoever waits for the agent."""
        if dom.name() == self.domain_name:
            self._changed.set()

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def _domain(self) -> libvirt.virDomain:
        conn = await self._connection()
        return await self._call(lookup_domain, conn, self.uri, self.domain_name)

    async def state(self) -> AgentState:
        try:
            dom = await self._domain()
            if not await self._call(dom.isActive):
                return AgentState.VM_OFF
            return channel_state(await self._call(dom.XMLDesc, 0))
        except (BackendError, libvirt.libvirtError):
            return AgentState.UNKNOWN

    async def wait_ready(self, timeout: float) -> None:
        """Until the guest's agent has its channel open and answers `guest-ping`. Sleeps on
        libvirt's agent lifecycle event in between; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        await self._call(self._listen, await self._connection())
        while True:
            self._changed.clear()
            state = await self.state()
            if state is AgentState.NO_CHANNEL:
                raise BackendError(f"domain '{self.domain_name}' has no {AGENT_CHANNEL} channel", CHANNEL_HINT)
            if state is AgentState.VM_OFF:
                raise BackendError(f"domain '{self.domain_name}' is not running: its guest agent cannot answer")
            if state is AgentState.CONNECTED and await self._pings(deadline):
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StepTimeout(f"the guest agent did not answer within {timeout:g} s",
                                  "is qemu-guest-agent installed and running in the guest?")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def _pings(self, deadline: float) -> bool:
        try:
            await self._command(agent_command("guest-ping"), max(1, int(deadline - time.monotonic())))
        except libvirt.libvirtError:
            return False
        return True

    async def _command(self, command: str, timeout: int) -> Any:
        dom = await self._domain()
        reply = await self._call(libvirt_qemu.qemuAgentCommand, dom, command, timeout, 0)
        return json.loads(reply).get("return")

    async def command(self, execute: str, arguments: dict[str, Any] | None, timeout: float) -> Any:
        try:
            return await self._command(agent_command(execute, arguments), _whole(timeout))
        except libvirt.libvirtError as err:
            raise agent_error([execute], err) from None

    async def start(self, argv: Sequence[str], timeout: float) -> int:
        try:
            return int((await self._command(exec_command(argv), _whole(timeout)))["pid"])
        except libvirt.libvirtError as err:
            raise agent_error(argv, err) from None

    async def status(self, pid: int, timeout: float) -> dict[str, Any]:
        try:
            return dict(await self._command(status_command(pid), _whole(timeout)))
        except libvirt.libvirtError as err:
            raise agent_error([f"pid {pid}"], err) from None

    async def run(self, argv: Sequence[str], timeout: float) -> GuestRun:
        """Runs argv in the guest to its end, or raises StepTimeout after `timeout` seconds."""
        started = time.monotonic()
        pid = await self.start(argv, timeout)
        status = await wait_exit(self, pid, started + timeout, " ".join(argv), timeout)
        return finished_run(argv, status, (time.monotonic() - started) * 1000)

    async def send_keys(self, codes: Sequence[int], hold_ms: int) -> None:
        """virDomainSendKey in the Linux keycode set: QEMU presses them in order, holds them
        `hold_ms`, and releases them. Types on the guest's keyboard; no agent involved."""
        dom = await self._domain()
        try:
            await self._call(dom.sendKey, libvirt.VIR_KEYCODE_SET_LINUX, hold_ms, list(codes), len(codes), 0)
        except libvirt.libvirtError as err:
            text = (err.get_error_message() or str(err)).strip()
            raise BackendError(f"cannot send keys to '{self.domain_name}': {text}",
                               "the VM must be running") from None


def _alive(conn: libvirt.virConnect) -> bool:
    try:
        return bool(conn.isAlive())
    except libvirt.libvirtError:
        return False


def _whole(timeout: float) -> int:
    """qemuAgentCommand takes whole seconds; at least one, so a call is never 'no wait'."""
    return max(1, int(timeout + 0.999))


class GuestActions:
    """Runs a mode's GUEST steps: a program through the agent (as the agent, or in the user's
    session), or keys typed on the guest's keyboard. A program fails its step on a non-zero
    exit with the last line it wrote to stderr; the step's timeout bounds both the wait for the
    agent and the run. Returns the program's output, which the history record keeps."""

    kinds = frozenset({StepKind.GUEST})

    def __init__(self, agent: GuestAgent) -> None:
        self.agent = agent

    async def apply(self, step: Step) -> str | None:
        if "keys" in step.args:
            hold_ms = max(1, round(float(step.args["hold"]) * 1000))
            await self.agent.send_keys(tuple(int(c) for c in step.args["keys"]), hold_ms)
            return None
        argv = tuple(str(a) for a in step.args["argv"])
        timeout = float(step.args.get("timeout", 30.0))
        deadline = time.monotonic() + timeout
        await self.agent.wait_ready(timeout)
        remaining = max(0.1, deadline - time.monotonic())
        if step.args.get("session") == GuestSession.USER.value:
            done = await run_in_session(self.agent, argv, step.args.get("user"), timeout, deadline)
        else:
            done = await self.agent.run(argv, remaining)
        if done.exit_code != 0:
            raise BackendError(f"guest action {argv[0]} exited {done.exit_code}: {done.last_error_line}")
        return output_text(done)

    async def observe(self) -> GuestObservation:
        return await observe_guest(self.agent)

    async def state(self) -> AgentState:
        return await self.agent.state()

    async def close(self) -> None:
        await self.agent.close()


def output_text(done: GuestRun, limit: int = 2000) -> str:
    """What a history record keeps of a run: stdout, then stderr, cut to `limit` characters."""
    text = done.stdout + (f"\n[stderr]\n{done.stderr}" if done.stderr.strip() else "")
    return text if len(text) <= limit else text[:limit] + "…"


__all__ = ["AGENT_CHANNEL", "CHANNEL_HINT", "CHANNEL_XML", "AgentState", "GuestActions", "GuestAgent", "GuestRun",
           "LibvirtGuestAgent", "agent_error", "channel_state", "exec_command", "output_text"]
