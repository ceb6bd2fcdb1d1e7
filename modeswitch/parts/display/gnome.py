"""Display layouts on GNOME, through Mutter's org.gnome.Mutter.DisplayConfig D-Bus API.

GetCurrentState gives the monitors (connector, modes) and the logical monitors (position,
scale, primary); ApplyMonitorsConfig takes the whole layout at once, checked against the
serial it was computed from. The layout is first sent with the "verify" method, so a layout
Mutter refuses (overlaps, gaps, an unknown mode) changes nothing, then applied "temporary":
the mode owns the layout, and GNOME's own monitors.xml stays the user's. D-Bus is spoken
through jeepney (pure Python, no libdbus).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jeepney import DBusAddress, new_method_call
from jeepney.io.asyncio import open_dbus_router
from jeepney.wrappers import DBusErrorResponse, unwrap_msg

from modeswitch.errors import BackendError
from modeswitch.model import Step, StepKind
from modeswitch.observed import satisfied, unknown_outputs
from modeswitch.parts.display.layout import Head, arrange, observation
from modeswitch.parts.display.spec import DisplayObservation, OutputSetting

DISPLAY_CONFIG = DBusAddress("/org/gnome/Mutter/DisplayConfig", bus_name="org.gnome.Mutter.DisplayConfig",
                             interface="org.gnome.Mutter.DisplayConfig")
VERIFY, TEMPORARY = 0, 1
_APPLY_SIGNATURE = "uua(iiduba(ssa{sv}))a{sv}"


@dataclass(frozen=True)
class Monitor:
    """A physical monitor: its connector, its modes (id, width, height, refresh) and its place."""

    head: Head
    modes: tuple[tuple[str, int, int, float], ...]
    transform: int = 0


@dataclass(frozen=True)
class State:
    serial: int
    monitors: tuple[Monitor, ...]


def parse_state(body: Sequence[Any]) -> State:
    """GetCurrentState's reply (serial, monitors, logical_monitors, properties) → State."""
    serial, monitors, logical, _ = body
    placed: dict[str, tuple[int, int, float, int, bool]] = {}
    for x, y, scale, transform, primary, members, _props in logical:
        for connector, *_ in members:
            placed[connector] = (x, y, scale, transform, primary)
    result = []
    for (connector, *_), modes, _props in monitors:
        listed = tuple((m[0], m[1], m[2], m[3]) for m in modes)
        current = next((m for m in modes if _flag(m[6], "is-current")), None)
        preferred = next((m for m in modes if _flag(m[6], "is-preferred")), modes[0] if modes else None)
        size = (preferred[1], preferred[2]) if preferred else None
        if connector in placed and current is not None:
            x, y, scale, transform, primary = placed[connector]
            head = Head(connector, True, current[1], current[2], x, y, scale, primary, size)
            result.append(Monitor(head, listed, transform))
        else:
            result.append(Monitor(Head(connector, False, preferred=size), listed))
    return State(serial, tuple(result))


def _flag(props: Mapping[str, Any], name: str) -> bool:
    value = props.get(name)
    return bool(value[1] if isinstance(value, tuple) else value)


def logical_monitors(state: State, heads: Sequence[Head]) -> list[tuple[Any, ...]]:
    """ApplyMonitorsConfig's a(iiduba(ssa{sv})): one logical monitor per lit output."""
    by_name = {m.head.name: m for m in state.monitors}
    config: list[tuple[Any, ...]] = []
    for head in heads:
        if head.enabled:
            monitor = by_name[head.name]
            mode_id = _mode_id(monitor, head)
            config.append((head.x, head.y, head.scale, monitor.transform, head.primary, [(head.name, mode_id, {})]))
    return config


def _mode_id(monitor: Monitor, head: Head) -> str:
    """The monitor's mode of that size: the current one if it fits, else the highest refresh."""
    fitting = [m for m in monitor.modes if (m[1], m[2]) == (head.width, head.height)]
    if not fitting:
        offered = ", ".join(sorted({f"{m[1]}x{m[2]}" for m in monitor.modes}))
        raise BackendError(f"{head.name} has no mode {head.mode}", f"modes: {offered}")
    if monitor.head.enabled and (monitor.head.width, monitor.head.height) == (head.width, head.height):
        current = [m for m in fitting if m[0].startswith(monitor.head.mode)]
        fitting = current or fitting
    return max(fitting, key=lambda m: m[3])[0]


class MutterBackend:
    """Observes and sets GNOME's layout over the session bus `bus` (else from `env`)."""

    kinds = frozenset({StepKind.DISPLAY})

    def __init__(self, bus: str | None = None, *, env: Mapping[str, str] | None = None) -> None:
        self.bus = bus
        self.env = env

    async def observe(self) -> DisplayObservation:
        return observation([m.head for m in (await self.state()).monitors])

    async def state(self) -> State:
        return parse_state(await self._call("GetCurrentState"))

    async def apply(self, step: Step) -> None:
        """Verify the whole layout with Mutter, then apply it; nothing is sent when it is in place."""
        if step.kind is not StepKind.DISPLAY:
            raise BackendError(f"the display backend cannot apply {step.kind.value}")
        wanted: tuple[OutputSetting, ...] = tuple(step.args["outputs"])
        state = await self.state()
        heads = [m.head for m in state.monitors]
        missing = unknown_outputs(wanted, observation(heads))
        if missing:
            known = ", ".join(h.name for h in heads) or "none"
            raise BackendError(f"GNOME has no output named {', '.join(missing)}", f"outputs: {known}")
        seen = {o.output: o for o in observation(heads).outputs}
        target = arrange(heads, [o for o in wanted if not satisfied(o, seen[o.output])])
        if list(target) == heads:
            return
        config = logical_monitors(state, target)
        for method in (VERIFY, TEMPORARY):
            await self._call("ApplyMonitorsConfig", _APPLY_SIGNATURE, (state.serial, method, config, {}))

    def _address(self) -> str:
        env = os.environ if self.env is None else self.env
        address = self.bus or env.get("DBUS_SESSION_BUS_ADDRESS")
        if not address:
            raise BackendError("no D-Bus session bus", "set DBUS_SESSION_BUS_ADDRESS, or run inside the GNOME session")
        return address

    async def _call(self, method: str, signature: str | None = None, body: tuple[Any, ...] = ()) -> Any:
        address = self._address()
        message = new_method_call(DISPLAY_CONFIG, method, signature, body)
        try:
            async with open_dbus_router(address) as router:
                return unwrap_msg(await router.send_and_get_reply(message))
        except DBusErrorResponse as exc:
            detail = exc.data[0] if exc.data else exc.name
            raise BackendError(f"Mutter refused {method}: {detail}", _hint(exc.name)) from None
        except (OSError, ValueError) as exc:
            raise BackendError(f"cannot reach the session bus at {address}: {exc}",
                               "is this the GNOME session's DBUS_SESSION_BUS_ADDRESS?") from None


def _hint(name: str | None) -> str | None:
    if name == "org.freedesktop.DBus.Error.ServiceUnknown":
        return "is GNOME (Mutter) running on this bus?"
    return None
