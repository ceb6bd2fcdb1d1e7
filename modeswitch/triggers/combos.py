"""Chord detection over gamepad events, kept pure so it can be table-tested and benchmarked.

Two pieces:

- `PadMapper` turns one pad's raw evdev (type, code, value) into button changes. Drivers
  disagree on how a trigger or a d-pad looks (xpad: ABS_Z 0..255 or 0..1023, DualSense:
  ABS_Z 0..255 plus BTN_TL2, Switch Pro: digital BTN_TL2, d-pads as hats or as buttons), so
  the mapper is built from the pad's own capabilities and axis ranges.
- `ChordDetector` sees (pad, button, value, time) and says which combos fire. It never
  reads a clock: times come with the events, and hold expiry is the caller's timer calling
  `expire(now)` at `next_deadline()`. That keeps it deterministic and poll-free.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from modeswitch.buttons import HYSTERESIS, KEY_NAMES, NOTHING, Change
from modeswitch.model import ComboSpec

EV_KEY = 0x01
EV_ABS = 0x03


ABS_Z, ABS_RX, ABS_RY, ABS_RZ = 0x02, 0x03, 0x04, 0x05
ABS_GAS, ABS_BRAKE = 0x09, 0x0A
ABS_HAT0X, ABS_HAT0Y = 0x10, 0x11
ABS_HAT1X, ABS_HAT1Y, ABS_HAT2X, ABS_HAT2Y = 0x12, 0x13, 0x14, 0x15

# Analog axes that are triggers per the gamepad spec, plus what xpad/xpadneo/hid-playstation
# actually use. ABS_Z/ABS_RZ are the right stick on old DirectInput pads, so they only count
# as triggers when the pad also has a real right stick (ABS_RX/ABS_RY).
SPEC_TRIGGER_AXES = {ABS_HAT1X: "BTN_TR", ABS_HAT1Y: "BTN_TL", ABS_HAT2X: "BTN_TR2",
                     ABS_HAT2Y: "BTN_TL2", ABS_GAS: "BTN_TR2", ABS_BRAKE: "BTN_TL2"}
Z_TRIGGER_AXES = {ABS_Z: "BTN_TL2", ABS_RZ: "BTN_TR2"}
HAT_AXES = {ABS_HAT0X: ("BTN_DPAD_LEFT", "BTN_DPAD_RIGHT"),
            ABS_HAT0Y: ("BTN_DPAD_UP", "BTN_DPAD_DOWN")}




@dataclass(frozen=True)
class AxisRange:
    minimum: int
    maximum: int


class PadMapper:
    """One pad's raw events -> button changes (name, 1 pressed / 0 released).

    Stick motion is most of the traffic, so anything that is not a button, trigger or hat
    leaves through a single dict miss.
    """

    def __init__(self, axes: Mapping[int, AxisRange], threshold: float) -> None:
        self._levels: dict[int, tuple[str, float, float]] = {}
        self._pressed: dict[int, bool] = {}
        self._hat: dict[int, tuple[str, str]] = {}
        self._hat_held: dict[int, str | None] = {}
        triggers = dict(SPEC_TRIGGER_AXES)
        if ABS_RX in axes and ABS_RY in axes:
            triggers.update(Z_TRIGGER_AXES)
        for code, span in axes.items():
            if code in triggers:
                width = span.maximum - span.minimum
                press = span.minimum + threshold * width
                self._levels[code] = (triggers[code], press, press - HYSTERESIS * width)
                self._pressed[code] = False
            elif code in HAT_AXES:
                self._hat[code] = HAT_AXES[code]
                self._hat_held[code] = None

    def translate(self, etype: int, code: int, value: int) -> Sequence[Change]:
        if etype == EV_KEY:
            if value == 2:  # autorepeat is not a new press
                return NOTHING
            return ((KEY_NAMES.get(code) or f"KEY_{code:#x}", value),)
        if etype != EV_ABS:
            return NOTHING
        level = self._levels.get(code)
        if level is not None:
            return self._trigger(code, level, value)
        if code in self._hat:
            return self._hat_move(code, value)
        return NOTHING

    def _trigger(self, code: int, level: tuple[str, float, float], value: int) -> Sequence[Change]:
        name, press, release = level
        was = self._pressed[code]
        now = value >= press if not was else value > release
        if now == was:
            return NOTHING
        self._pressed[code] = now
        return ((name, int(now)),)

    def _hat_move(self, code: int, value: int) -> Sequence[Change]:
        negative, positive = self._hat[code]
        target = negative if value < 0 else positive if value > 0 else None
        held = self._hat_held[code]
        if target == held:
            return NOTHING
        self._hat_held[code] = target
        changes: list[Change] = []
        if held is not None:
            changes.append((held, 0))
        if target is not None:
            changes.append((target, 1))
        return changes


@dataclass(frozen=True)
class Fire:
    pad: Hashable
    combo: ComboSpec
    time: float  # event time of the completing press, or the hold deadline


@dataclass
class _PadState:
    held: set[str] = field(default_factory=set)
    fired: set[int] = field(default_factory=set)  # combos that fired during this hold
    spoiled: set[int] = field(default_factory=set)  # another button came in mid-chord
    armed: dict[int, float] = field(default_factory=dict)  # combo -> hold deadline


class ChordDetector:
    """All buttons of a combo held together, in any order, fire it once per hold.

    With cancel_on_other a chord must be exactly the held set, and a foreign press while any
    of its buttons is down spoils it until all of them are let go: a player mashing buttons
    in a game must not switch the seat by accident.
    """

    def __init__(self, combos: Iterable[ComboSpec]) -> None:
        self._combos = tuple(combos)
        self._sets = tuple(frozenset(c.buttons) for c in self._combos)
        self._pads: dict[Hashable, _PadState] = {}

    def feed(self, pad: Hashable, button: str, value: int, time: float) -> list[Fire]:
        state = self._pads.get(pad)
        if state is None:
            state = self._pads[pad] = _PadState()
        if value == 0:
            self._release(state, button)
            return []
        if value != 1 or button in state.held:
            return []
        state.held.add(button)
        return self._press(pad, state, button, time)

    def _press(self, pad: Hashable, state: _PadState, button: str, time: float) -> list[Fire]:
        fires: list[Fire] = []
        for index, chord in enumerate(self._sets):
            combo = self._combos[index]
            if button not in chord:
                if combo.cancel_on_other and not state.held.isdisjoint(chord):
                    state.spoiled.add(index)
                    state.armed.pop(index, None)
                continue
            complete = state.held == chord if combo.cancel_on_other else chord <= state.held
            if not complete or index in state.fired or index in state.spoiled:
                continue
            if combo.hold <= 0:
                state.fired.add(index)
                fires.append(Fire(pad, combo, time))
            else:
                state.armed[index] = time + combo.hold
        return fires

    def _release(self, state: _PadState, button: str) -> None:
        if button not in state.held:
            return
        state.held.discard(button)
        for index, chord in enumerate(self._sets):
            if button in chord:
                state.armed.pop(index, None)
                state.fired.discard(index)
                if state.held.isdisjoint(chord):
                    state.spoiled.discard(index)

    def expire(self, now: float) -> list[Fire]:
        """Fire every hold whose deadline has passed; the caller's timer calls this."""
        fires: list[Fire] = []
        for pad, state in self._pads.items():
            for index, deadline in sorted(state.armed.items(), key=lambda item: item[1]):
                if deadline <= now:
                    del state.armed[index]
                    state.fired.add(index)
                    fires.append(Fire(pad, self._combos[index], deadline))
        return fires

    def next_deadline(self) -> float | None:
        deadlines = [d for state in self._pads.values() for d in state.armed.values()]
        return min(deadlines, default=None)

    def forget(self, pad: Hashable) -> None:
        """A pad went away: whatever it held is released with it."""
        self._pads.pop(pad, None)
