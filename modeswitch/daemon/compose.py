"""Builds the real backends a config needs. The one place (with the demo) that imports them.

A backend is only built when some mode uses its part, so a seat without audio never loads
libpulse and a config without a VM never connects to libvirt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from modeswitch.config.loader import Config
from modeswitch.core.history import HistoryLog
from modeswitch.core.seat import BackendSet, Seat
from modeswitch.errors import BackendError, ModeswitchError, ReloadRefused
from modeswitch.notices import Notifier
from modeswitch.parts.hooks.backend import HookRunner
from modeswitch.parts.processes import RunRecords
from modeswitch.parts.viewer.backend import ViewerSupervisor
from modeswitch.parts.vm.plan import needs_vm
from modeswitch.paths import Paths

EventHandler = Callable[[str, Any], None]
log = logging.getLogger(__name__)


def uses(config: Config, part: str) -> bool:
    return any(getattr(mode, part) is not None for mode in config.modes.values())


def wiring(config: Config) -> dict[str, tuple[object, ...] | None]:
    """What each backend is built from; None when no mode needs that part. Two configs with
    the same wiring for a part can share its backend across a reload."""
    return {
        "viewer": () if uses(config, "viewer") else None,
        "vm": (config.libvirt_uri, config.domain) if any(needs_vm(m) for m in config.modes.values()) else None,
        "audio": (config.pulse_server,) if uses(config, "audio") else None,
        "display": () if uses(config, "display") else None,
        "tv": (_cec_device(config),) if uses(config, "tv") else None,
        "monitor": _monitor_match(config) if uses(config, "monitor") else None,
        "guest": (config.libvirt_uri, config.domain) if uses(config, "guest") else None,
    }


async def build_backends(
    config: Config, paths: Paths, on_event: EventHandler | None = None, *, resident: bool = True,
    tolerate_unreachable: bool | None = None,
) -> BackendSet:
    """`resident` is False for the one-shot CLI: the viewer must then outlive the process.

    An unreachable libvirt is tolerated (observed as disconnected) by the daemon and by
    `status`, which report it; a one-shot switch or plan fails on it with one line instead."""
    tolerate = resident if tolerate_unreachable is None else tolerate_unreachable
    backends = BackendSet(hooks=HookRunner(records=_hook_records(paths)))
    for part in (name for name, spec in wiring(config).items() if spec is not None):
        await _add(part, backends, config, paths, on_event, tolerate, resident)
    return backends


async def _add(part: str, backends: BackendSet, config: Config, paths: Paths, on_event: EventHandler | None,
               tolerate: bool, resident: bool) -> None:
    if part == "viewer":
        backends.viewer = ViewerSupervisor(_default_viewer_argv(config), paths.viewer_pidfile, config.viewer_grace,
                                           stop_on_close=resident, owner=str(paths.runtime))
    elif part == "vm":
        await _add_vm(backends, config, on_event, tolerate, resident)
    elif part == "audio":
        await _add_audio(backends, config, on_event)
    elif part == "display":
        from modeswitch.parts.display.session import SessionDisplay

        backends.display = SessionDisplay()  # X11, sway, GNOME or KDE: the session's, read when it is used
    elif part == "tv":
        from modeswitch.parts.tv.backend import CecBackend

        backends.tv = CecBackend(_cec_device(config))
    elif part == "monitor":
        from modeswitch.parts.monitor.backend import DdcBackend

        backends.monitor = DdcBackend(*_monitor_match(config))
    elif part == "guest":
        await _add_guest(backends, config, tolerate)


def _monitor_match(config: Config) -> tuple[str | None, str | None, str | None]:
    """Which monitor is observed: the first mode's model, serial and bus (a step carries its bus)."""
    spec = next(m.monitor for m in config.modes.values() if m.monitor is not None)
    return spec.model, spec.serial, spec.bus


def _cec_device(config: Config) -> str:
    """The adapter the modes name (a step carries its own; this one is observed)."""
    return next(m.tv.device for m in config.modes.values() if m.tv is not None)


def _default_viewer_argv(config: Config) -> tuple[str, ...]:
    """What a restart after an undo runs when no viewer was recorded."""
    argv = next((m.viewer.argv for m in config.modes.values() if m.viewer and m.viewer.run), None)
    return argv or ("looking-glass-client", "-F")


async def rewire(current: BackendSet, old: Config, new: Config, paths: Paths,
                 on_event: EventHandler | None) -> tuple[BackendSet, list[str]]:
    """The backends `new` needs: parts whose wiring did not change are kept (with their
    connections, a running viewer and event listeners), changed and added parts are built and
    connected first, and only then are the parts no longer needed closed. If building fails,
    ReloadRefused says why and the current backends are untouched. Returns what changed."""
    before, after = wiring(old), wiring(new)
    changed = [part for part in after if before[part] != after[part]]
    fresh = BackendSet(hooks=current.hooks)
    try:
        for part in changed:
            if after[part] is not None:
                await _add(part, fresh, new, paths, on_event, tolerate=False, resident=True)
        seen = await fresh.audio.observe() if fresh.audio is not None else None
        if seen is not None and not seen.connected:  # an unreachable server refuses the reload now
            raise BackendError(seen.error or f"cannot reach the sound server {seen.server}")
    except ModeswitchError as exc:
        await fresh.close()
        raise ReloadRefused(f"reload refused, keeping the last good config: {exc}") from None
    result = BackendSet(hooks=current.hooks, extra=current.extra)
    for part in after:
        source = fresh if part in changed else current
        setattr(result, part, getattr(source, part))
    result.usb = fresh.usb if "vm" in changed else current.usb
    if result.viewer is not None:  # a kept viewer keeps its process; the new grace applies
        result.viewer.grace = new.viewer_grace
    released = BackendSet(hooks=current.hooks, **{part: getattr(current, part) for part in changed})
    await released.close()
    return result, changed


async def _add_vm(
    backends: BackendSet, config: Config, on_event: EventHandler | None, tolerate: bool, resident: bool
) -> None:
    from modeswitch.parts.usb.sysfs import SysfsUsbInventory
    from modeswitch.parts.vm.backend import LibvirtBackend

    inventory = SysfsUsbInventory()
    vm = LibvirtBackend(config.libvirt_uri, config.domain, inventory, _forward("vm", on_event))
    try:
        await vm.connect()
    except ModeswitchError as exc:
        if not tolerate:
            raise
        # status shows the VM as unreachable and a switch says why; a daemon keeps trying
        if resident:
            log.error("libvirt: %s; retrying in the background", exc)
            vm.connect_in_background()
    backends.vm, backends.usb = vm, inventory


async def _add_guest(backends: BackendSet, config: Config, tolerate: bool) -> None:
    """Guest actions talk to the agent on a connection of their own: a program running in the
    guest for seconds must not hold up the VM backend's calls."""
    from modeswitch.parts.guest.backend import GuestActions, LibvirtGuestAgent

    agent = LibvirtGuestAgent(config.libvirt_uri, config.domain)
    try:
        await agent.connect()
    except ModeswitchError:
        if not tolerate:
            raise
    backends.guest = GuestActions(agent)


async def _add_audio(backends: BackendSet, config: Config, on_event: EventHandler | None) -> None:
    from modeswitch.parts.audio.backend import PulseAudioBackend

    backends.audio = PulseAudioBackend(config.pulse_server, _forward("audio", on_event) if on_event else None)


def _hook_records(paths: Paths) -> RunRecords:
    """Hooks of a modeswitch process that died mid-run (kill -9) are ended before anything runs."""
    records = RunRecords(paths.runtime / "runs", owner=str(paths.runtime))
    records.end_leftovers()
    return records


def _forward(part: str, on_event: EventHandler | None) -> Callable[[Any], None]:
    def forward(event: Any) -> None:
        if on_event is not None:
            on_event(part, event)

    return forward


async def build_seat(
    config: Config, paths: Paths, on_event: EventHandler | None = None, *, resident: bool = True,
    tolerate_unreachable: bool | None = None,
) -> Seat:
    backends = await build_backends(config, paths, on_event, resident=resident,
                                    tolerate_unreachable=tolerate_unreachable)
    return Seat(config, backends, HistoryLog(paths.history))


def build_notifier() -> Notifier:
    """Desktop notifications on the session bus; connects on the first notice, so a daemon
    with notifications turned off in config.yaml never opens the bus."""
    from modeswitch.daemon.notifications import DbusNotifier

    return DbusNotifier()
