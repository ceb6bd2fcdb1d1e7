"""The vocabulary shared by config, planner, engine and backends.

Everything here is a frozen dataclass or a str enum so that plans and observations can be
compared, hashed, printed and sent over the wire without surprises.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

from modeswitch.parts.hooks.spec import Hooks

if TYPE_CHECKING:  # the specs and observations of the parts this package ships
    from modeswitch.parts.audio.spec import AudioObservation, AudioTarget
    from modeswitch.parts.display.spec import DisplayObservation, OutputSetting
    from modeswitch.parts.guest.spec import GuestEntry
    from modeswitch.parts.inputs.spec import EvdevInput
    from modeswitch.parts.monitor.spec import MonitorObservation, MonitorSpec
    from modeswitch.parts.tv.spec import TvObservation, TvSpec
    from modeswitch.parts.usb.spec import UsbDevice, UsbMatch
    from modeswitch.parts.viewer.spec import ViewerObservation, ViewerSpec
    from modeswitch.parts.vm.spec import VmObservation, VmPower


class StepKind(StrEnum):
    HOOK = "hook"
    VM_START = "vm.start"
    VM_RESUME = "vm.resume"
    USB_ATTACH = "usb.attach"
    USB_DETACH = "usb.detach"
    INPUT_ATTACH = "input.attach"
    INPUT_DETACH = "input.detach"
    AUDIO_PROFILE = "audio.profile"
    AUDIO_SINK = "audio.sink"
    VIEWER_START = "viewer.start"
    VIEWER_STOP = "viewer.stop"
    DISPLAY = "display"
    TV = "tv"
    GUEST = "guest"
    MONITOR = "monitor"
    NOOP = "noop"


class Mode:
    """A desired state of the whole seat: one spec per part it names (keyed by the part's name in
    the registry, parts/registry.py). A part the mode leaves out is not touched.

    Immutable and hashable like the frozen dataclasses around it; the typed properties below are
    the specs of the parts this package ships, and a part added later reads `spec(name)`."""

    __slots__ = ("name", "source", "specs")
    name: str
    source: Path | None
    specs: Mapping[str, Any]

    def __init__(self, name: str, source: Path | None = None, **specs: Any) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "specs", MappingProxyType({k: v for k, v in specs.items() if v is not None}))

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"Mode is immutable; cannot set {key}")

    def spec(self, part: str) -> Any:
        return self.specs.get(part)

    def updated(self, **specs: Any) -> Mode:
        """The same mode with some parts' specs replaced (None drops a part)."""
        return Mode(self.name, self.source, **{**self.specs, **specs})

    def only(self, parts: Iterable[str], **changed: Any) -> Mode:
        """The same mode limited to `parts` (hooks and guest actions dropped unless named)."""
        keep = {name: self.specs[name] for name in parts if name in self.specs}
        return Mode(self.name, self.source, **{**keep, **changed})

    def _key(self) -> tuple[Any, ...]:
        return (self.name, self.source, tuple(sorted(self.specs.items())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mode) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        specs = ", ".join(f"{k}={v!r}" for k, v in self.specs.items())
        return f"Mode({self.name!r}, {specs})"

    @property
    def vm(self) -> VmPower | None:
        return cast("VmPower | None", self.specs.get("vm"))

    @property
    def usb(self) -> tuple[UsbMatch, ...] | None:
        return cast("tuple[UsbMatch, ...] | None", self.specs.get("usb"))

    @property
    def inputs(self) -> tuple[EvdevInput, ...] | None:
        return cast("tuple[EvdevInput, ...] | None", self.specs.get("inputs"))

    @property
    def audio(self) -> AudioTarget | None:
        return cast("AudioTarget | None", self.specs.get("audio"))

    @property
    def viewer(self) -> ViewerSpec | None:
        return cast("ViewerSpec | None", self.specs.get("viewer"))

    @property
    def display(self) -> tuple[OutputSetting, ...] | None:
        return cast("tuple[OutputSetting, ...] | None", self.specs.get("display"))

    @property
    def tv(self) -> TvSpec | None:
        return cast("TvSpec | None", self.specs.get("tv"))

    @property
    def monitor(self) -> MonitorSpec | None:
        return cast("MonitorSpec | None", self.specs.get("monitor"))

    @property
    def guest(self) -> tuple[GuestEntry, ...] | None:
        return cast("tuple[GuestEntry, ...] | None", self.specs.get("guest"))

    @property
    def hooks(self) -> Hooks:
        return cast(Hooks, self.specs.get("hooks") or Hooks())


# --- observations: what backends read back from the world -------------------------------


# --- triggers: what the config asks of combos and hotplug ---------------------------------


GAMEPAD = "gamepad"


TOGGLE = "toggle"  # the action that alternates between the two modes of the toggle pair


class ComboSource(StrEnum):
    """Which devices a combo listens to: pads (host evdev or usbmon), a TV remote over CEC,
    or a host keyboard."""

    PAD = "pad"
    REMOTE = "remote"
    KEYBOARD = "keyboard"


@dataclass(frozen=True)
class ComboSpec:
    buttons: tuple[str, ...]  # evdev code names, e.g. ("BTN_SELECT", "BTN_START")
    action: str  # a mode name or "toggle"
    hold: float = 0.0
    cancel_on_other: bool = True
    source: ComboSource = ComboSource.PAD


@dataclass(frozen=True)
class HotplugRule:
    mode: str
    kind: str | None = GAMEPAD
    vendor: int | None = None
    product: int | None = None
    debounce: float = 2.0
    only_when_vm_running: bool = False


class TvEvent(StrEnum):
    """What a CEC trigger reacts to: the TV switched on or to standby, or its input moved to
    this PC (`input-selected`) or away from it (`input-left`)."""

    TV_ON = "tv-on"
    TV_STANDBY = "tv-standby"
    INPUT_SELECTED = "input-selected"
    INPUT_LEFT = "input-left"


@dataclass(frozen=True)
class CecRule:
    on: TvEvent
    mode: str
    debounce: float = 2.0
    device: str = "/dev/cec0"


class SeatState:
    """Everything observed at one moment, keyed by part name; a part that could not be (or was
    not) observed is absent. The typed properties serve the parts this package ships."""

    __slots__ = ("parts",)
    parts: Mapping[str, Any]

    def __init__(self, **observed: Any) -> None:
        object.__setattr__(self, "parts", MappingProxyType({k: v for k, v in observed.items() if v is not None}))

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"SeatState is immutable; cannot set {key}")

    def get(self, part: str) -> Any:
        return self.parts.get(part)

    def updated(self, **observed: Any) -> SeatState:
        return SeatState(**{**self.parts, **observed})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SeatState) and dict(self.parts) == dict(other.parts)

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.parts.items())))

    def __repr__(self) -> str:
        return "SeatState(" + ", ".join(f"{k}={v!r}" for k, v in self.parts.items()) + ")"

    @property
    def vm(self) -> VmObservation | None:
        return cast("VmObservation | None", self.parts.get("vm"))

    @property
    def host_usb(self) -> tuple[UsbDevice, ...]:
        return cast("tuple[UsbDevice, ...]", self.parts.get("usb", ()))

    @property
    def audio(self) -> AudioObservation | None:
        return cast("AudioObservation | None", self.parts.get("audio"))

    @property
    def viewer(self) -> ViewerObservation | None:
        return cast("ViewerObservation | None", self.parts.get("viewer"))

    @property
    def display(self) -> DisplayObservation | None:
        return cast("DisplayObservation | None", self.parts.get("display"))

    @property
    def tv(self) -> TvObservation | None:
        return cast("TvObservation | None", self.parts.get("tv"))

    @property
    def monitor(self) -> MonitorObservation | None:
        return cast("MonitorObservation | None", self.parts.get("monitor"))


# --- plans -----------------------------------------------------------------------------


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Step:
    """One idempotent action on one backend, carrying the action that reverses it.

    `undo` is None only for steps whose effect is deliberately kept on rollback (starting a
    VM: tearing a guest down would lose its state), and the planner documents each such case.
    """

    kind: StepKind
    target: str
    args: Mapping[str, Any] = field(default_factory=lambda: _frozen(None))
    undo: Step | None = None
    description: str = ""

    @staticmethod
    def make(
        kind: StepKind,
        target: str,
        description: str,
        args: Mapping[str, Any] | None = None,
        undo: Step | None = None,
    ) -> Step:
        return Step(kind, target, _frozen(args), undo, description)

    def __hash__(self) -> int:
        return hash((self.kind, self.target, tuple(sorted(self.args.items(), key=str))))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Step):
            return NotImplemented
        return (self.kind, self.target, dict(self.args), self.undo) == (
            other.kind,
            other.target,
            dict(other.args),
            other.undo,
        )


@dataclass(frozen=True)
class Plan:
    """Ordered groups of steps; the steps inside one group are independent of each other."""

    target: str
    groups: tuple[tuple[Step, ...], ...] = ()
    notes: tuple[str, ...] = ()  # what the plan leaves for later, e.g. a sink it waits for

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(step for group in self.groups for step in group)

    @property
    def empty(self) -> bool:
        return not self.steps

    def as_dict(self) -> dict[str, Any]:
        """The shape `modeswitch plan --json` prints and the daemon's plan verb returns."""
        return {"target": self.target, "notes": list(self.notes), "groups": [
            [{"kind": s.kind.value, "target": s.target, "description": s.description} for s in group]
            for group in self.groups]}
