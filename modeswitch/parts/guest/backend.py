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
import base64
import contextlib
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar

import libvirt
import libvirt_qemu

from modeswitch.errors import BackendError, StepTimeout
from modeswitch.model import Step, StepKind
from modeswitch.parts.vm.connection import EVENT_IMPL, ensure_event_loop, lookup_domain, open_connection

T = TypeVar("T")

AGENT_CHANNEL = "org.qemu.guest_agent.0"
CHANNEL_XML = ("<channel type='unix'>\n  <target type='virtio' name='org.qemu.guest_agent.0'/>\n"
               "</channel>")
CHANNEL_HINT = f"add to the domain's <devices> (virsh edit): {CHANNEL_XML.replace(chr(10), '')}"


class AgentState(StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    NO_CHANNEL = "no-channel"  # the domain has no org.qemu.guest_agent.0 channel
    VM_OFF = "vm-off"  # the VM is not running: nothing to talk to
    UNKNOWN = "unknown"  # libvirt not reachable


@dataclass(frozen=True)
class GuestRun:
    """One program's run in the guest: what the history record keeps."""

    argv: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    duration_ms: float

    @property
    def last_error_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1].strip() if lines else f"exit code {self.exit_code}"


class GuestAgent(Protocol):
    """What the planner's guest steps and the tests need from the agent."""

    async def state(self) -> AgentState: ...

    async def wait_ready(self, timeout: float) -> None: ...

    async def run(self, argv: Sequence[str], timeout: float) -> GuestRun: ...

    async def close(self) -> None: ...


def channel_state(domain_xml: str) -> AgentState:
    """The agent channel's state from a live domain XML (`<target state='connected'>`)."""
    devices = ET.fromstring(domain_xml).find("devices")
    for channel in devices.findall("channel") if devices is not None else ():
        target = channel.find("target")
        if target is not None and target.get("name") == AGENT_CHANNEL:
            return AgentState.CONNECTED if target.get("state") == "connected" else AgentState.DISCONNECTED
    return AgentState.NO_CHANNEL


def exec_command(argv: Sequence[str]) -> str:
    arguments = {"path": argv[0], "arg": list(argv[1:]), "capture-output": True}
    return json.dumps({"execute": "guest-exec", "arguments": arguments})


def status_command(pid: int) -> str:
    return json.dumps({"execute": "guest-exec-status", "arguments": {"pid": pid}})


def decode_output(status: dict[str, Any], key: str) -> str:
    data = status.get(key)
    return base64.b64decode(data).decode(errors="replace") if data else ""


def agent_error(argv: Sequence[str], err: libvirt.libvirtError) -> BackendError:
    """libvirt's words for an agent failure, turned into what the user can act on."""
    text = (err.get_error_message() or str(err)).strip()
    lowered = text.lower()
    if "no such file" in lowered or "failed to execute child process" in lowered:
        return BackendError(f"'{argv[0]}' does not exist in the guest: {text}",
                            "use the program's full path inside the guest")
    if "not connected" in lowered or "not responding" in lowered or "timeout" in lowered:
        return BackendError(f"the guest agent did not answer: {text}",
                            "is qemu-guest-agent installed and running in the guest?")
    if "not configured" in lowered or "channel" in lowered and "agent" in lowered:
        return BackendError(f"the domain has no guest agent channel: {text}", CHANNEL_HINT)
    return BackendError(f"guest agent: {text}")


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
            await self._command(json.dumps({"execute": "guest-ping"}), max(1, int(deadline - time.monotonic())))
        except libvirt.libvirtError:
            return False
        return True

    async def _command(self, command: str, timeout: int) -> Any:
        dom = await self._domain()
        reply = await self._call(libvirt_qemu.qemuAgentCommand, dom, command, timeout, 0)
        return json.loads(reply).get("return")

    async def run(self, argv: Sequence[str], timeout: float) -> GuestRun:
        """Runs argv in the guest to its end, or raises StepTimeout after `timeout` seconds."""
        started = time.monotonic()
        deadline = started + timeout
        try:
            pid = int((await self._command(exec_command(argv), _seconds(deadline)))["pid"])
            delay = 0.01
            while True:
                status = await self._command(status_command(pid), _seconds(deadline))
                if status.get("exited"):
                    break
                if time.monotonic() + delay > deadline:
                    raise StepTimeout(f"'{' '.join(argv)}' did not end within {timeout:g} s in the guest")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.25)
        except libvirt.libvirtError as err:
            raise agent_error(argv, err) from None
        return GuestRun(tuple(argv), int(status.get("exitcode", -1)), decode_output(status, "out-data"),
                        decode_output(status, "err-data"), (time.monotonic() - started) * 1000)


def _alive(conn: libvirt.virConnect) -> bool:
    try:
        return bool(conn.isAlive())
    except libvirt.libvirtError:
        return False


def _seconds(deadline: float) -> int:
    """qemuAgentCommand takes whole seconds; at least one, so a call is never 'no wait'."""
    return max(1, int(deadline - time.monotonic() + 0.999))


class GuestActions:
    """Runs a mode's guest actions (GUEST steps): waits for the agent, runs the program, and
    fails the step on a non-zero exit with the last line the program wrote to stderr. The
    step's timeout bounds both the wait and the run. Returns the program's output, which the
    engine keeps in the history record."""

    kinds = frozenset({StepKind.GUEST})

    def __init__(self, agent: GuestAgent) -> None:
        self.agent = agent

    async def apply(self, step: Step) -> str:
        argv = tuple(str(a) for a in step.args["argv"])
        timeout = float(step.args.get("timeout", 30.0))
        deadline = time.monotonic() + timeout
        await self.agent.wait_ready(timeout)
        done = await self.agent.run(argv, max(0.1, deadline - time.monotonic()))
        if done.exit_code != 0:
            raise BackendError(f"guest action {argv[0]} exited {done.exit_code}: {done.last_error_line}")
        return output_text(done)

    async def state(self) -> AgentState:
        return await self.agent.state()

    async def close(self) -> None:
        await self.agent.close()


def output_text(done: GuestRun, limit: int = 2000) -> str:
    """What a history record keeps of a run: stdout, then stderr, cut to `limit` characters."""
    text = done.stdout + (f"\n[stderr]\n{done.stderr}" if done.stderr.strip() else "")
    return text if len(text) <= limit else text[:limit] + "…"
