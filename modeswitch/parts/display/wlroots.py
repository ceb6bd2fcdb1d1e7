"""Display layouts on wlroots compositors (labwc, Hyprland, river, Wayfire, sway …) through
wlr-output-management-unstable-v1, spoken as a Wayland client on $WAYLAND_DISPLAY.

The protocol gives every head (output, lit or not) with its modes, and takes a whole new
configuration at once: every head enabled with a mode and a position, or disabled. So one
switch is one atomic `apply`, and a compositor that cannot do it answers `failed` and keeps
the old layout. It says `succeeded` before the new state is sent, so the layout is read back
(on a fresh connection, as any other client would see it) and put back when it did not take.
A mode is chosen among the head's own modes (the current one if the size stays, else the
preferred one, else the fastest of that size); a size the head does not list is sent as a
custom mode, as virtual and headless outputs need.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from modeswitch.errors import BackendError
from modeswitch.model import Step, StepKind
from modeswitch.observed import satisfied, unknown_outputs
from modeswitch.parts.display.layout import Head, arrange, changed, observation
from modeswitch.parts.display.spec import DisplayObservation, OutputSetting
from modeswitch.parts.display.wayland_wire import Connection, Event, socket_path

MANAGER = "zwlr_output_manager_v1"
MAX_VERSION = 4  # what EVENTS declares; a newer compositor speaks this version to us
_TIMEOUT = 5.0
_SETTLE = 1.0  # how long a new layout may take to be reported; a refusal costs this once
_SETTLE_POLL = 0.02


@dataclass
class ModeInfo:
    width: int = 0
    height: int = 0
    refresh: int = 0
    preferred: bool = False


@dataclass
class HeadInfo:
    """One head as the protocol reports it; `modes` are its mode objects by id."""

    id: int
    name: str = ""
    enabled: bool = False
    modes: dict[int, ModeInfo] = field(default_factory=dict)
    current: int | None = None
    x: int = 0
    y: int = 0
    scale: float = 1.0

    def head(self) -> Head:
        mode = self.modes.get(self.current) if self.current is not None and self.enabled else None
        listed = [m for m in self.modes.values() if m.width]
        preferred = next((m for m in listed if m.preferred), listed[0] if listed else None)
        return Head(self.name, self.enabled and mode is not None, mode.width if mode else 0,
                    mode.height if mode else 0, self.x, self.y, self.scale,
                    preferred=(preferred.width, preferred.height) if preferred else None)


@dataclass
class Outputs:
    """What one `done` of the manager describes: the heads in the compositor's order, and the
    serial a configuration must name."""

    heads: list[HeadInfo]
    serial: int
    manager: int


def gather(events: Sequence[Event], heads: dict[int, HeadInfo], modes: dict[int, ModeInfo]) -> int | None:
    """Folds events into heads and modes; returns the manager's serial once `done` came. Pure."""
    serial = None
    for event in events:
        if event.interface == MANAGER and event.name == "head":
            heads[int(event.args[0])] = HeadInfo(int(event.args[0]))
        elif event.interface == MANAGER and event.name == "done":
            serial = int(event.args[0])
        elif event.interface == "zwlr_output_head_v1" and event.sender in heads:
            _head_event(heads, modes, event)
        elif event.interface == "zwlr_output_mode_v1" and event.sender in modes:
            _mode_event(modes[event.sender], event)
    return serial


def _head_event(heads: dict[int, HeadInfo], modes: dict[int, ModeInfo], event: Event) -> None:
    head, args = heads[event.sender], event.args
    if event.name == "name":
        head.name = str(args[0])
    elif event.name == "mode":
        modes[int(args[0])] = head.modes[int(args[0])] = ModeInfo()
    elif event.name == "enabled":
        head.enabled = bool(args[0])
    elif event.name == "current_mode":
        head.current = int(args[0])
    elif event.name == "position":
        head.x, head.y = int(args[0]), int(args[1])
    elif event.name == "scale":
        head.scale = float(args[0])
    elif event.name == "finished":
        del heads[event.sender]


def _mode_event(mode: ModeInfo, event: Event) -> None:
    if event.name == "size":
        mode.width, mode.height = int(event.args[0]), int(event.args[1])
    elif event.name == "refresh":
        mode.refresh = int(event.args[0])
    elif event.name == "preferred":
        mode.preferred = True


def pick_mode(head: HeadInfo, width: int, height: int) -> int | None:
    """The mode object to set for this size, or None for a custom mode. Pure."""
    if head.current is not None and head.current in head.modes:
        current = head.modes[head.current]
        if (current.width, current.height) == (width, height):
            return head.current
    sized = [(number, mode) for number, mode in head.modes.items() if (mode.width, mode.height) == (width, height)]
    if not sized:
        return None
    return max(sized, key=lambda item: (item[1].preferred, item[1].refresh))[0]


def read_outputs(conn: Connection) -> Outputs:
    """Binds the output manager and reads until its first `done`."""
    registry = conn.new_id("wl_registry")
    conn.send(1, "get_registry", "n", registry)
    sync = conn.new_id("wl_callback")
    conn.send(1, "sync", "n", sync)
    manager = None
    while manager is None:
        for event in conn.events():
            if event.name == "global" and event.args[1] == MANAGER:
                manager = conn.bind(registry, int(event.args[0]), MANAGER, min(int(event.args[2]), MAX_VERSION))
            elif event.sender == sync and event.name == "done" and manager is None:
                raise BackendError("this compositor does not offer wlr-output-management",
                                   "display: works on wlroots compositors, sway, GNOME, KDE and X11")
    heads: dict[int, HeadInfo] = {}
    modes: dict[int, ModeInfo] = {}
    while (serial := gather(conn.events(), heads, modes)) is None:
        pass
    return Outputs(list(heads.values()), serial, manager)


def configure(conn: Connection, outputs: Outputs, target: Sequence[Head]) -> str:
    """Sends the whole layout as one configuration; the compositor's answer: succeeded,
    failed or cancelled (its state changed under us)."""
    wanted = {head.name: head for head in target}
    config = conn.new_id("zwlr_output_configuration_v1")
    conn.send(outputs.manager, "create_configuration", "nu", config, outputs.serial)
    for info in outputs.heads:
        head = wanted.get(info.name)
        if head is None or not head.enabled:
            conn.send(config, "disable_head", "o", info.id)
            continue
        setter = conn.new_id("zwlr_output_configuration_head_v1")
        conn.send(config, "enable_head", "no", setter, info.id)
        _set_mode(conn, setter, info, head)
        conn.send(setter, "set_position", "ii", head.x, head.y)
    conn.send(config, "apply")
    while True:
        for event in conn.events():
            if event.sender == config:
                conn.send(config, "destroy")
                return event.name


def _set_mode(conn: Connection, setter: int, info: HeadInfo, head: Head) -> None:
    """A head switched on with no size known (a dark head lists no modes on some compositors)
    gets none: the compositor then lights it with its own choice, as `wlr-randr --on` does."""
    if not head.width:
        return
    mode = pick_mode(info, head.width, head.height)
    if mode is None:
        conn.send(setter, "set_custom_mode", "iii", head.width, head.height, 0)
    else:
        conn.send(setter, "set_mode", "o", mode)


class WlrOutputBackend:
    """Observes and sets outputs through wlr-output-management on `display` (a socket path;
    else $WAYLAND_DISPLAY of `env`)."""

    kinds = frozenset({StepKind.DISPLAY})

    def __init__(self, display: str | None = None, *, env: Mapping[str, str] | None = None,
                 timeout: float = _TIMEOUT, settle: float = _SETTLE) -> None:
        self.display, self.env, self.timeout, self.settle = display, env, timeout, settle

    def _path(self) -> str:
        return self.display or socket_path(os.environ if self.env is None else self.env)

    def heads(self) -> tuple[Head, ...]:
        conn = Connection(self._path(), self.timeout)
        try:
            return tuple(info.head() for info in read_outputs(conn).heads)
        finally:
            conn.close()

    async def observe(self) -> DisplayObservation:
        return observation(await asyncio.to_thread(self.heads), primary_supported=False)

    async def apply(self, step: Step) -> None:
        if step.kind is not StepKind.DISPLAY:
            raise BackendError(f"the display backend cannot apply {step.kind.value}")
        await asyncio.to_thread(self._apply, tuple(step.args["outputs"]))

    def _apply(self, wanted: tuple[OutputSetting, ...]) -> None:
        """Send the whole layout only when something changes; read back, put back what did not take."""
        conn = Connection(self._path(), self.timeout)
        try:
            outputs = read_outputs(conn)
            before = tuple(info.head() for info in outputs.heads)
            seen = observation(before, primary_supported=False)
            _check(wanted, seen)
            target = arrange(before, [o for o in wanted if not satisfied(o, _current(seen, o))])
            if not changed(before, target):
                return
            answer = configure(conn, outputs, target)
            if answer == "cancelled":  # the layout changed meanwhile: once more, on what is there now
                conn.close()
                conn = Connection(self._path(), self.timeout)
                answer = configure(conn, read_outputs(conn), target)
        finally:
            conn.close()
        if answer != "succeeded":
            raise BackendError(f"the compositor refused the layout ({answer}); nothing changed",
                               "see the compositor's log; the outputs may not support that mode")
        refused = self._refused(wanted)
        if refused:
            self._put_back(before)
            raise BackendError(f"the compositor did not apply the layout for {', '.join(refused)}; it was put back",
                               "see the compositor's log")

    def _refused(self, wanted: Sequence[OutputSetting]) -> list[str]:
        deadline = time.monotonic() + self.settle
        while True:
            after = observation(self.heads(), primary_supported=False)
            refused = [o.output for o in wanted if not satisfied(o, _current(after, o))]
            if not refused or time.monotonic() >= deadline:
                return refused
            time.sleep(_SETTLE_POLL)

    def _put_back(self, before: Sequence[Head]) -> None:
        conn = Connection(self._path(), self.timeout)
        try:
            configure(conn, read_outputs(conn), before)
        finally:
            conn.close()


def _current(seen: DisplayObservation, wanted: OutputSetting) -> OutputSetting | None:
    return next((o for o in seen.outputs if o.output == wanted.output), None)


def _check(wanted: Sequence[OutputSetting], seen: DisplayObservation) -> None:
    missing = unknown_outputs(wanted, seen)
    if missing:
        known = ", ".join(o.output for o in seen.outputs) or "none"
        raise BackendError(f"the compositor has no output named {', '.join(missing)}", f"outputs: {known}")
    if any(o.primary for o in wanted):
        raise BackendError("wlroots compositors have no primary output", "remove primary: from the display list")
