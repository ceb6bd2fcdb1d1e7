"""What the guest part asks of qemu-guest-agent, and how its answers read. Pure, but for the
Protocol a link to the agent implements (backend.LibvirtGuestAgent over libvirt)."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import libvirt

from modeswitch.errors import BackendError

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
    """What the guest steps, the session runner and the tests need from the agent."""

    async def state(self) -> AgentState: ...

    async def wait_ready(self, timeout: float) -> None: ...

    async def run(self, argv: Sequence[str], timeout: float) -> GuestRun: ...

    async def start(self, argv: Sequence[str], timeout: float) -> int:
        """guest-exec with captured output; the pid, for status() and for ending it."""

    async def status(self, pid: int, timeout: float) -> dict[str, Any]: ...

    async def command(self, execute: str, arguments: dict[str, Any] | None, timeout: float) -> Any:
        """Any agent command's return value; BackendError when the agent refuses it."""

    async def send_keys(self, codes: Sequence[int], hold_ms: int) -> None: ...

    async def close(self) -> None: ...


def channel_state(domain_xml: str) -> AgentState:
    """The agent channel's state from a live domain XML (`<target state='connected'>`)."""
    devices = ET.fromstring(domain_xml).find("devices")
    for channel in devices.findall("channel") if devices is not None else ():
        target = channel.find("target")
        if target is not None and target.get("name") == AGENT_CHANNEL:
            return AgentState.CONNECTED if target.get("state") == "connected" else AgentState.DISCONNECTED
    return AgentState.NO_CHANNEL


def agent_command(execute: str, arguments: dict[str, Any] | None = None) -> str:
    return json.dumps({"execute": execute, **({"arguments": arguments} if arguments is not None else {})})


def exec_command(argv: Sequence[str]) -> str:
    return agent_command("guest-exec", {"path": argv[0], "arg": list(argv[1:]), "capture-output": True})


def status_command(pid: int) -> str:
    return agent_command("guest-exec-status", {"pid": pid})


def decode_output(status: dict[str, Any], key: str) -> str:
    data = status.get(key)
    return base64.b64decode(data).decode(errors="replace") if data else ""


def finished_run(argv: Sequence[str], status: dict[str, Any], duration_ms: float) -> GuestRun:
    return GuestRun(tuple(argv), int(status.get("exitcode", -1)), decode_output(status, "out-data"),
                    decode_output(status, "err-data"), duration_ms)


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
