"""The vocabulary shared by config, planner, engine and backends.

Everything here is a frozen dataclass or a str enum so that plans and observations can be
compared, hashed, printed and sent over the wire without surprises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any


class VmPower(StrEnum):
    RUNNING = "running"
    ANY = "any"


class WhenMissing(StrEnum):
    FAIL = "fail"  # the switch is refused, nothing applied
    WAIT = "wait"  # the rest of the mode applies; audio follows when the sink appears


class SinkMatchBy(StrEnum):
    NAME = "name"  # exact sink name, or a glob when it contains * ? [
    DESCRIPTION = "description"  # glob on the human-readable description


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


@dataclass(frozen=True)
class UsbMatch:
    """One controller rule from a mode's `usb` list. Unset fields match anything."""

    label: str
    vendor: int | None = None
    product: int | None = None
    serial: str | None = None
    port: str | None = None  # sysfs devpath such as "1-2.3": the physical port
    kind: str | None = None  # "gamepad"
    optional: bool = False  # a rule that matches nothing is then not an error

    @property
    def kind_only(self) -> bool:
        return self.kind is not None and not (self.vendor or self.serial or self.port)


@dataclass(frozen=True)
class EvdevInput:
    """A keyboard or mouse handed to the VM as an evdev input."""

    path: str
    grab_all: bool = True
    grab_toggle: str = "ctrl-ctrl"
    repeat: bool = True


@dataclass(frozen=True)
class AudioTarget:
    pattern: str
    match_by: SinkMatchBy = SinkMatchBy.NAME
    move_streams: bool = True
    volume: float | None = None  # 0.0 .. 1.5, None leaves it
    mute: bool | None = None
    when_missing: WhenMissing = WhenMissing.FAIL


@dataclass(frozen=True)
class ViewerSpec:
    """Whether Looking Glass runs in this mode, and how it is started."""

    run: bool
    argv: tuple[str, ...] = ("looking-glass-client", "-F")


@dataclass(frozen=True)
class OutputSetting:
    """One xrandr output in a mode's `display` list."""

    output: str
    enabled: bool = True
    mode: str | None = None
    primary: bool = False
    right_of: str | None = None


class TvPower(StrEnum):
    ON = "on"  # <Image View On>
    STANDBY = "standby"  # <Standby>


@dataclass(frozen=True)
class TvSpec:
    """A mode's `tv` part, driven over HDMI-CEC. None fields are left alone."""

    device: str = "/dev/cec0"
    power: TvPower | None = None
    input: bool = False  # `input: active`: <Active Source> with our physical address
    physical_address: int | None = None  # None: the adapter's own (GPU adapters know it)


# VCP 0x60 values by the names a mode uses (MCCS 2.2); a raw code reaches vendor-specific ones.
MONITOR_INPUTS = {"vga1": 0x01, "vga2": 0x02, "dvi1": 0x03, "dvi2": 0x04, "composite1": 0x05, "composite2": 0x06,
                  "svideo1": 0x07, "svideo2": 0x08, "tuner1": 0x09, "tuner2": 0x0A, "tuner3": 0x0B,
                  "component1": 0x0C, "component2": 0x0D, "component3": 0x0E, "dp1": 0x0F, "dp2": 0x10,
                  "hdmi1": 0x11, "hdmi2": 0x12}


@dataclass(frozen=True)
class MonitorSpec:
    """A mode's `monitor` part: the input a DDC/CI monitor shows (VCP 0x60), and which monitor."""

    input: int
    model: str | None = None  # the EDID's monitor name, e.g. "DELL U2415"
    serial: str | None = None  # the EDID's serial string (or its serial number)
    bus: str | None = None  # /dev/i2c-N; None: every bus is searched


@dataclass(frozen=True)
class Hook:
    argv: tuple[str, ...]
    timeout: float = 10.0
    undo: tuple[str, ...] | None = None


@dataclass(frozen=True)
class GuestAction:
    """A program run inside the VM through qemu-guest-agent when a mode is entered."""

    argv: tuple[str, ...]
    timeout: float = 30.0
    undo: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Hooks:
    before: tuple[Hook, ...] = ()
    after: tuple[Hook, ...] = ()


@dataclass(frozen=True)
class Mode:
    """A desired state of the whole seat. A subsystem left as None is not touched."""

    name: str
    source: Path | None = None
    vm: VmPower | None = None
    usb: tuple[UsbMatch, ...] | None = None
    inputs: tuple[EvdevInput, ...] | None = None
    audio: AudioTarget | None = None
    viewer: ViewerSpec | None = None
    display: tuple[OutputSetting, ...] | None = None
    tv: TvSpec | None = None
    monitor: MonitorSpec | None = None
    hooks: Hooks = Hooks()
    guest: tuple[GuestAction, ...] | None = None


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


@dataclass(frozen=True)
class UsbDevice:
    """A USB device present on the host, as read from sysfs."""

    vendor: int
    product: int
    bus: int
    device: int
    port: str
    serial: str | None = None
    name: str = ""
    kind: str | None = None  # "gamepad" when it is one

    @property
    def ident(self) -> str:
        return f"{self.vendor:04x}:{self.product:04x}@{self.bus:03d}.{self.device:03d}"


@dataclass(frozen=True)
class AttachedUsb:
    """A USB hostdev the live VM holds, with the XML libvirt reports for it."""

    vendor: int
    product: int
    bus: int | None
    device: int | None
    xml: str
    alias: str | None = None


@dataclass(frozen=True)
class AttachedInput:
    """An evdev input the live VM holds (native device or our QMP input-linux object)."""

    path: str
    handle: str  # QMP object id or libvirt alias, whatever detach needs


@dataclass(frozen=True)
class VmObservation:
    domain: str
    connected: bool
    state: str  # "running", "paused", "shutoff", ... or "unknown" when disconnected
    usb: tuple[AttachedUsb, ...] = ()
    inputs: tuple[AttachedInput, ...] = ()
    error: str | None = None
    agent: str | None = None  # the guest agent channel: connected, disconnected, no-channel, vm-off


@dataclass(frozen=True)
class Sink:
    name: str
    description: str
    index: int = -1
    volume: float | None = None
    mute: bool | None = None


@dataclass(frozen=True)
class Stream:
    index: int
    name: str
    sink: str


@dataclass(frozen=True)
class CardProfile:
    name: str
    description: str = ""
    available: bool = True
    priority: int = 0


@dataclass(frozen=True)
class Card:
    name: str
    active_profile: str
    profiles: tuple[CardProfile, ...] = ()


@dataclass(frozen=True)
class AudioObservation:
    server: str
    connected: bool
    default_sink: str | None = None
    sinks: tuple[Sink, ...] = ()
    streams: tuple[Stream, ...] = ()
    cards: tuple[Card, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class ViewerObservation:
    running: bool
    pid: int | None = None
    restarts: int = 0


@dataclass(frozen=True)
class DisplayObservation:
    outputs: tuple[OutputSetting, ...] = ()
    primary_supported: bool = True  # False on compositors without a primary output (sway)


@dataclass(frozen=True)
class TvObservation:
    """What the CEC adapter and the TV said. `power` is None when the TV did not answer."""

    device: str
    power: str | None = None  # "on", "standby", "to_on", "to_standby"
    physical_address: int | None = None  # the adapter's; None when it does not know it
    active_source: int | None = None  # who the TV shows, if some device answered
    error: str | None = None  # why the adapter could not be used (then nothing else is known)


@dataclass(frozen=True)
class MonitorObservation:
    """The matched monitor; `input` is None when it did not answer over DDC/CI (see `error`)."""

    bus: str | None = None
    name: str | None = None
    input: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class SeatState:
    """Everything observed at one moment. None means that part could not be observed."""

    vm: VmObservation | None = None
    host_usb: tuple[UsbDevice, ...] = ()
    audio: AudioObservation | None = None
    viewer: ViewerObservation | None = None
    display: DisplayObservation | None = None
    tv: TvObservation | None = None
    monitor: MonitorObservation | None = None


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
