"""The session around the daemon: the systemd user unit (installed, enabled, running) and the
notification server that shows what a switch did."""

from __future__ import annotations

from modeswitch.doctor.facts import CommandResult, Facts
from modeswitch.doctor.report import Finding, ok, warn

INSTALL_FIX = ("modeswitch systemd-unit --install && systemctl --user daemon-reload && "
               "systemctl --user enable --now modeswitch")


def checks(facts: Facts) -> list[Finding]:
    return [*_unit(facts), _notifications(facts)]


def _notifications(facts: Facts) -> Finding:
    if not facts.config.notifications:
        return ok("notifications", "desktop notifications are off (notifications.enabled: false)")
    server = facts.notifications
    if server.error is not None:
        return warn("notifications", f"switches will not be announced on the desktop: {server.error}",
                    "run a notification server in your session (your desktop's own, or dunst / mako), "
                    "or set notifications: {enabled: false} in config.yaml")
    return ok("notifications", f"notification server: {server.output}")


def _unit(facts: Facts) -> list[Finding]:
    unit = facts.roots.config_home / "systemd" / "user" / "modeswitch.service"
    packaged = facts.roots.usr_lib / "systemd" / "user" / "modeswitch.service"
    if not unit.exists() and packaged.exists():
        unit = packaged
    if not unit.exists():
        return [warn("systemd.unit", f"{unit} is not installed", INSTALL_FIX)]
    enabled, active = facts.unit_enabled, facts.unit_active
    if _unreachable(enabled):
        why = enabled.error or enabled.output or "no answer"
        return [warn("systemd.unit", f"{unit} is installed, but the user's systemd cannot be asked: {why}",
                     "log in to a session with a systemd user manager, or run 'modeswitch daemon' yourself")]
    state = enabled.output.splitlines()[0] if enabled.output else "unknown"
    if state != "enabled":
        return [warn("systemd.unit", f"modeswitch.service is {state}", "systemctl --user enable --now modeswitch")]
    running = active.output.splitlines()[0] if active.output else "unknown"
    if running != "active":
        return [warn("systemd.unit", f"modeswitch.service is enabled but {running}",
                     "systemctl --user start modeswitch; journalctl --user -u modeswitch says why it stopped")]
    return [ok("systemd.unit", "modeswitch.service is enabled and running")]


def _unreachable(result: CommandResult) -> bool:
    """is-enabled prints a state even when it is not 'enabled'; no state means no manager."""
    if result.error is not None:
        return True
    states = ("enabled", "disabled", "static", "masked", "linked", "indirect", "generated", "alias")
    first = result.output.splitlines()[0] if result.output else ""
    return first not in states and not first.startswith(("enabled", "linked", "masked"))
