"""What status, doctor and the planner know about the guest: its OS, the agent's version, who
is logged in. Asked only while the agent's channel is connected, each with a short timeout, so
a guest that is still booting (or an agent that hangs) costs an observation a second at most."""

from __future__ import annotations

from typing import Any

from modeswitch.errors import BackendError
from modeswitch.parts.guest.agent import AgentState, GuestAgent
from modeswitch.parts.guest.spec import GuestObservation
from modeswitch.parts.guest.users import parse_users

ASK_TIMEOUT = 1.0


def os_name(info: Any) -> str | None:
    """guest-get-osinfo → "Windows 11 Pro (10.0 build 22631)", "Debian GNU/Linux 12
    (bookworm) 6.1.0-26-amd64"; None when the agent told nothing."""
    if not isinstance(info, dict):
        return None
    name = info.get("pretty-name") or info.get("name")
    kernel = info.get("kernel-release")
    if info.get("id") == "mswindows":
        version = info.get("kernel-version")
        build = f" ({version} build {kernel})" if version and kernel else ""
        return f"{name or 'Windows'}{build}"
    parts = [str(p) for p in (name, kernel) if p]
    return " ".join(parts) or None


def observation(state: AgentState, info: Any, osinfo: Any, users: Any, error: str | None = None) -> GuestObservation:
    """The answers (None where a question failed) → what status shows."""
    version = info.get("version") if isinstance(info, dict) else None
    os_id = osinfo.get("id") if isinstance(osinfo, dict) else None
    return GuestObservation(agent=state.value, os_id=str(os_id) if os_id else None, os_name=os_name(osinfo),
                            agent_version=str(version) if version else None,
                            users=parse_users(users) if users is not None else None, error=error)


async def observe_guest(agent: GuestAgent) -> GuestObservation:
    state = await agent.state()
    if state is not AgentState.CONNECTED:
        return GuestObservation(agent=state.value)
    answers: list[Any] = []
    errors: list[str] = []
    for command in ("guest-info", "guest-get-osinfo", "guest-get-users"):
        try:
            answers.append(await agent.command(command, None, ASK_TIMEOUT))
        except BackendError as exc:
            answers.append(None)
            errors.append(f"{command}: {exc.message}")
    info, osinfo, users = answers
    return observation(state, info, osinfo, users, "; ".join(errors) or None)
