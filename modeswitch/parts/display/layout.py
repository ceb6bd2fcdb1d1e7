"""Where every output ends up: the pure geometry shared by the Wayland display backends.

X has xrandr's `--right-of`; Wayland compositors take absolute positions (sway's IPC, Mutter's
ApplyMonitorsConfig), so a mode's relations (`right_of`) are turned into coordinates here,
from the layout the compositor reports, before anything is sent. Reading back works the other
way round: `right_of` is derived from the positions, exactly as for xrandr.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from modeswitch.errors import BackendError
from modeswitch.parts.display.spec import DisplayObservation, OutputSetting

_SIZE = re.compile(r"^(?P<w>\d+)x(?P<h>\d+)(?:@(?P<r>[\d.]+)(?:Hz)?)?$")


@dataclass(frozen=True)
class Head:
    """One output as a compositor reports it; width/height are the current mode in pixels."""

    name: str
    enabled: bool
    width: int = 0
    height: int = 0
    x: int = 0
    y: int = 0
    scale: float = 1.0
    primary: bool = False
    preferred: tuple[int, int] | None = None  # the size `enabled` without a `mode` falls back to

    @property
    def mode(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def right_edge(self) -> int:
        """Logical (scaled) coordinates: a 3840 px output at scale 2 is 1920 wide in the layout."""
        return self.x + round(self.width / self.scale)


def parse_size(mode: str) -> tuple[int, int]:
    """`1920x1080` (or `1920x1080@60`) → (1920, 1080); anything else is not a Wayland mode."""
    match = _SIZE.match(mode)
    if match is None:
        raise BackendError(f"'{mode}' is not a WIDTHxHEIGHT mode", "Wayland modes are written like 1920x1080")
    return int(match["w"]), int(match["h"])


def observation(heads: Sequence[Head], *, primary_supported: bool = True) -> DisplayObservation:
    """The compositor's layout in the mode vocabulary; `right_of` from touching edges."""
    outputs = []
    for head in heads:
        if not head.enabled:
            outputs.append(OutputSetting(head.name, enabled=False))
            continue
        left = [o.name for o in heads if o.enabled and o.name != head.name and o.right_edge == head.x and o.y == head.y]
        outputs.append(OutputSetting(head.name, True, head.mode, head.primary, left[0] if left else None))
    return DisplayObservation(tuple(outputs), primary_supported=primary_supported)


def arrange(heads: Sequence[Head], wanted: Iterable[OutputSetting]) -> tuple[Head, ...]:
    """The whole layout after applying `wanted`, in the compositor's order.

    An output switched on without `right_of` goes right of the rightmost lit output (what
    xrandr --auto and the compositors do themselves); the result is shifted so that the
    layout starts at 0,0, which Mutter insists on. Overlaps are refused here, with the fix.
    """
    wanted = list(wanted)
    _refuse_dark_neighbours(wanted)
    layout = {head.name: head for head in heads}
    for setting in _neighbours_first(wanted):
        layout[setting.output] = _place(layout, layout[setting.output], setting)
    if any(setting.primary and setting.enabled for setting in wanted):
        chosen = next(s.output for s in wanted if s.primary and s.enabled)
        layout = {name: replace(head, primary=name == chosen) for name, head in layout.items()}
    result = _shift_to_origin([layout[head.name] for head in heads])
    _refuse_overlaps(result)
    return result


def _neighbours_first(wanted: list[OutputSetting]) -> list[OutputSetting]:
    """An output right of another is placed after that one got its new size: the undo of
    "TV off, desk 1600x900" lists the TV (right of the desk) before the desk."""
    pending, order = list(wanted), []
    done: set[str] = set()
    while pending:
        ready = [s for s in pending if s.right_of not in {p.output for p in pending} - done]
        step = ready or pending[:1]  # a cycle: kept in the given order; overlaps are refused later
        for setting in step:
            order.append(setting)
            done.add(setting.output)
            pending.remove(setting)
    return order


def _refuse_dark_neighbours(wanted: list[OutputSetting]) -> None:
    going_off = {s.output for s in wanted if not s.enabled}
    for setting in wanted:
        if setting.enabled and setting.right_of in going_off:
            raise BackendError(f"{setting.output} cannot be right of {setting.right_of}: that output would be off",
                               f"enable {setting.right_of} in the same display list")


def _place(layout: dict[str, Head], head: Head, setting: OutputSetting) -> Head:
    if not setting.enabled:
        return replace(head, enabled=False, primary=False)
    width, height = parse_size(setting.mode) if setting.mode else _size_when_on(head)
    moved = replace(head, enabled=True, width=width, height=height)
    if setting.right_of is not None:
        neighbour = layout[setting.right_of]
        if not neighbour.enabled:
            raise BackendError(f"{setting.output} cannot be right of {setting.right_of}: that output would be off",
                               f"enable {setting.right_of} in the same display list")
        return replace(moved, x=neighbour.right_edge, y=neighbour.y)
    if head.enabled:
        return moved
    others = [h for h in layout.values() if h.enabled and h.name != head.name]
    return replace(moved, x=max((h.right_edge for h in others), default=0), y=0)


def _size_when_on(head: Head) -> tuple[int, int]:
    if head.enabled or head.preferred is None:
        return head.width, head.height
    return head.preferred


def _shift_to_origin(heads: list[Head]) -> tuple[Head, ...]:
    lit = [head for head in heads if head.enabled]
    if not lit:
        return tuple(heads)
    dx, dy = min(h.x for h in lit), min(h.y for h in lit)
    return tuple(replace(h, x=h.x - dx, y=h.y - dy) if h.enabled else h for h in heads)


def _refuse_overlaps(heads: Sequence[Head]) -> None:
    lit = [head for head in heads if head.enabled]
    for index, first in enumerate(lit):
        for second in lit[index + 1:]:
            if _overlap(first, second):
                raise BackendError(f"{first.name} and {second.name} would overlap",
                                   "give one of them right_of: the other")


def _overlap(a: Head, b: Head) -> bool:
    a_bottom, b_bottom = a.y + round(a.height / a.scale), b.y + round(b.height / b.scale)
    return a.x < b.right_edge and b.x < a.right_edge and a.y < b_bottom and b.y < a_bottom


def changed(before: Sequence[Head], after: Sequence[Head]) -> list[Head]:
    """The heads whose state differs, so that only those are sent to the compositor."""
    old = {head.name: head for head in before}
    return [head for head in after if head != old.get(head.name)]
