"""What a part of the seat is to the rest of the code: one row of the registry.

A row says how the part is read from a mode file, how it is planned (a pure function of the
target mode and the observed seat, placing steps in slots), how its backend is built from the
config and what that depends on, and which events bring it back in line. core/ and daemon/
iterate rows and never name a part; the rows themselves are listed in parts/registry.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from modeswitch.model import Mode, SeatState, Step

if TYPE_CHECKING:
    from modeswitch.config.loader import Config
    from modeswitch.config.yamlnodes import Node
    from modeswitch.paths import Paths


class Slot(IntEnum):
    """Where a step runs in a transition. Groups run in this order; steps of one slot run
    concurrently, except in the sequential slots, where each step is a group of its own."""

    BEFORE = 0  # before-hooks, in order
    POWER = 1  # the VM on
    RELEASE = 2  # devices out of the VM, the viewer stopped, a card profile changed
    ACQUIRE = 3  # devices in, audio, displays, the TV
    START = 4  # the viewer, once the VM shows a picture
    GUEST = 5  # inside the VM, once it runs and holds its devices, in order
    LAST = 6  # the monitor's input: once it shows the other computer it may not answer an undo
    AFTER = 7  # after-hooks, in order

    @property
    def sequential(self) -> bool:
        return self in (Slot.BEFORE, Slot.GUEST, Slot.AFTER)


@dataclass(frozen=True)
class PlanContext:
    target: Mode
    modes: tuple[Mode, ...]
    state: SeatState
    needs_vm: bool = False  # some part the target names lives in the VM


@dataclass(frozen=True)
class PartPlan:
    placed: tuple[tuple[Slot, Step], ...] = ()
    notes: tuple[str, ...] = ()

    @staticmethod
    def at(slot: Slot, steps: Iterable[Step], notes: Sequence[str] = ()) -> PartPlan:
        return PartPlan(tuple((slot, step) for step in steps), tuple(notes))

    def __add__(self, other: PartPlan) -> PartPlan:
        return PartPlan(self.placed + other.placed, self.notes + other.notes)


NOTHING = PartPlan()

Planner = Callable[[PlanContext], PartPlan]
Reader = Callable[["Node"], Any]


@dataclass
class BuildContext:
    """What a backend is built with. `built` holds the backends of the rows before this one
    (the VM backend asks the usb row's inventory for what the host has)."""

    config: Config
    paths: Paths
    on_event: Callable[[str, Any], None] | None
    tolerate_unreachable: bool
    resident: bool
    built: dict[str, Any] = field(default_factory=dict)

    def forward(self, part: str) -> Callable[[Any], None]:
        on_event = self.on_event

        def forward(event: Any) -> None:
            if on_event is not None:
                on_event(part, event)

        return forward


Builder = Callable[[BuildContext], Awaitable[Any]]
Wiring = Callable[["Config"], "tuple[object, ...] | None"]


@dataclass(frozen=True)
class Part:
    """One part of the seat. `key` is the mode file's key (the part's name where they agree).

    - `read` turns the mode file's node into the part's spec; `plan` is the part's pure planner.
      `entering` parts (hooks, guest actions) are planned only when a mode is entered or
      something else changes.
    - `wants(mode)`: whether a mode needs this part's backend (default: it names the part).
    - `wiring(config)`: what the backend is built from; equal wiring across a config reload
      keeps the backend (its connections, a running viewer). `build` makes it; None for a part
      whose steps another part's backend runs.
    - `needs_vm`: a mode naming this part needs the VM reachable; `observes`: the backend
      reads the part back from the world (hooks and guest actions only act).
    - `reconciled_by`: backend events (`part.event`, globs) after which this part is planned
      again; `scoped` relaxes its spec for such a reconcile.
    """

    name: str
    read: Reader
    plan: Planner
    key: str = ""
    wants: Callable[[Mode], bool] | None = None
    wiring: Wiring | None = None
    build: Builder | None = None
    entering: bool = False
    needs_vm: bool = False
    observes: bool = True  # its backend reads the part back (status shows it)
    reconciled_by: frozenset[str] = frozenset()
    scoped: Callable[[Any], Any] | None = None

    @property
    def yaml_key(self) -> str:
        return self.key or self.name

    def spec_in(self, mode: Mode) -> bool:
        return mode.spec(self.name) is not None

    def wanted(self, mode: Mode) -> bool:
        return self.wants(mode) if self.wants is not None else mode.spec(self.name) is not None


Registry = Sequence[Part]
Backends = Mapping[str, Any]
