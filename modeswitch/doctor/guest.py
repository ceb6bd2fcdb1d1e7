"""The guest side, as its agent tells it: the OS, the agent's version, who is logged in, and
whether each mode's `session: user` actions could run now. Only for configs with guest
actions; a VM that is off or an agent that does not answer is a line saying so."""

from __future__ import annotations

from modeswitch.doctor.facts import Facts
from modeswitch.doctor.report import Finding, ok, warn
from modeswitch.model import Mode
from modeswitch.parts.guest.spec import GuestAction, GuestSession
from modeswitch.parts.guest.users import NoUserSession, pick_user

AGENT_FIX = ("install qemu-guest-agent in the guest (Windows: the virtio-win guest tools) and make sure its "
             "service runs")


def session_actions(mode: Mode) -> list[GuestAction]:
    return [a for a in mode.guest or () if isinstance(a, GuestAction) and a.session is GuestSession.USER]


def checks(facts: Facts) -> list[Finding]:
    if not facts.modes_using("guest") or facts.libvirt.domain is None or not facts.libvirt.domain.agent_channel:
        return []  # vm.agent already says what is missing
    guest = facts.guest
    if not facts.libvirt.active or guest is None or guest.agent == "vm-off":
        return [warn("guest.agent", "the VM is off: its OS and who is logged in are not known",
                     "start the VM and run doctor again")]
    if guest.agent != "connected":
        return [warn("guest.agent", f"the guest agent is {guest.agent}", AGENT_FIX)]
    version = f"qemu-guest-agent {guest.agent_version}" if guest.agent_version else "the guest agent"
    findings = [ok("guest.agent", f"{version} answers in {guest.os_name or 'the guest'}")]
    if guest.users is None:
        findings.append(warn("guest.users", f"the agent did not say who is logged in: {guest.error}", AGENT_FIX))
        return findings
    who = ", ".join(guest.users) if guest.users else "nobody"
    findings.append(ok("guest.users", f"logged in to the guest: {who}"))
    for name, mode in sorted(facts.config.modes.items()):
        findings += _session(name, session_actions(mode), guest.users)
    return findings


def _session(name: str, actions: list[GuestAction], users: tuple[str, ...]) -> list[Finding]:
    found = []
    for wanted in sorted({a.user or "" for a in actions}):
        try:
            user = pick_user(users, wanted or None)
        except NoUserSession as exc:
            found.append(warn(f"guest.session.{name}", f"mode '{name}': {exc.message}, so its session: user "
                              "actions cannot run now", exc.hint or "log in to the guest"))
            continue
        found.append(ok(f"guest.session.{name}", f"mode '{name}': session: user actions can run now, in {user}'s "
                        "session"))
    return found
