"""The seat's parts, one row each, in the order their steps are listed within a slot.

Adding a part of the seat is a folder (its spec, reader, planner, backend and wiring) and a row
here; the config reader, the planner, the composition root, the seat's observation and the
daemon's reactions to events all iterate this table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, is_dataclass
from typing import TYPE_CHECKING, Any

from modeswitch.model import Mode, SeatState
from modeswitch.parts.audio import wire as audio_wire
from modeswitch.parts.audio.plan import plan_audio_part
from modeswitch.parts.audio.read import read_audio
from modeswitch.parts.display import wire as display_wire
from modeswitch.parts.display.plan import plan_display_part
from modeswitch.parts.display.read import read_display
from modeswitch.parts.guest import wire as guest_wire
from modeswitch.parts.guest.plan import plan_guest_part
from modeswitch.parts.guest.read import read_guest
from modeswitch.parts.hooks import wire as hooks_wire
from modeswitch.parts.hooks.plan import plan_hooks
from modeswitch.parts.hooks.read import read_hooks
from modeswitch.parts.inputs.plan import plan_inputs_part
from modeswitch.parts.inputs.read import read_inputs
from modeswitch.parts.monitor import wire as monitor_wire
from modeswitch.parts.monitor.plan import plan_monitor_part
from modeswitch.parts.monitor.read import read_monitor
from modeswitch.parts.part import Part
from modeswitch.parts.tv import wire as tv_wire
from modeswitch.parts.tv.plan import plan_tv_part
from modeswitch.parts.tv.read import read_tv
from modeswitch.parts.usb import wire as usb_wire
from modeswitch.parts.usb.plan import plan_usb_part, scoped_usb
from modeswitch.parts.usb.read import read_usb
from modeswitch.parts.viewer import wire as viewer_wire
from modeswitch.parts.viewer.plan import plan_viewer
from modeswitch.parts.viewer.read import read_viewer
from modeswitch.parts.vm import wire as vm_wire
from modeswitch.parts.vm.plan import plan_vm
from modeswitch.parts.vm.read import read_vm
from modeswitch.parts.vm.spec import VmPower

if TYPE_CHECKING:
    from modeswitch.config.loader import Config


def _always(_mode: Mode) -> bool:
    return True


def needs_vm(mode: Mode) -> bool:
    """Whether entering `mode` involves the VM: it must run, or some part of it lives there."""
    return mode.vm is VmPower.RUNNING or any(part.needs_vm and bool(mode.spec(part.name)) for part in PARTS)


PARTS: tuple[Part, ...] = (
    Part("hooks", read_hooks, plan_hooks, wants=_always, build=hooks_wire.build, entering=True,
         observes=False),
    Part("usb", read_usb, plan_usb_part, wants=needs_vm, wiring=vm_wire.wiring, build=usb_wire.build,
         needs_vm=True, reconciled_by=frozenset({"usb.*", "vm.started", "vm.reconnected"}), scoped=scoped_usb),
    Part("vm", read_vm, plan_vm, wants=needs_vm, wiring=vm_wire.wiring, build=vm_wire.build),
    Part("inputs", read_inputs, plan_inputs_part, needs_vm=True, observes=False,
         reconciled_by=frozenset({"vm.started", "vm.reconnected"})),
    Part("viewer", read_viewer, plan_viewer, key="looking_glass", build=viewer_wire.build,
         reconciled_by=frozenset({"vm.started", "vm.reconnected", "vm.stopped"})),
    Part("audio", read_audio, plan_audio_part, wiring=audio_wire.wiring, build=audio_wire.build,
         reconciled_by=frozenset({"audio.*"})),
    Part("display", read_display, plan_display_part, build=display_wire.build),
    Part("tv", read_tv, plan_tv_part, wiring=tv_wire.wiring, build=tv_wire.build),
    Part("monitor", read_monitor, plan_monitor_part, wiring=monitor_wire.wiring, build=monitor_wire.build),
    Part("guest", read_guest, plan_guest_part, wiring=guest_wire.wiring, build=guest_wire.build, entering=True,
         needs_vm=True),
)

BY_NAME = {part.name: part for part in PARTS}


def used(config: Config, part: Part) -> bool:
    return any(part.wanted(mode) for mode in config.modes.values())


def wiring(config: Config) -> dict[str, tuple[object, ...] | None]:
    """What each backend is built from; None when no mode needs that part. Two configs with
    the same wiring for a part can share its backend across a reload."""
    return {part.name: (part.wiring(config) if part.wiring else ()) if used(config, part) else None
            for part in PARTS if part.build is not None}


def watched_usb_parts(config: Config) -> list[str]:
    """The parts whose backends follow USB hotplug: a pad unplugged or replugged in the mode
    it belongs to is no reason to switch, but its part needs a re-plan."""
    return [part.name for part in PARTS if any(glob.startswith("usb.") for glob in part.reconciled_by)
            and used(config, part) and any(part.spec_in(mode) for mode in config.modes.values())]


def seat_json(state: SeatState, parts: Iterable[Part] = PARTS) -> dict[str, Any]:
    """The observed seat as `status --json` prints it: every observed part, None where unread."""
    return {part.name: _plain(state.get(part.name)) for part in parts if part.observes}


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value
