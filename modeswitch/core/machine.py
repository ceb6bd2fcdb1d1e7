"""The seat's state machine: one transition at a time, later requests coalesce. Pure.

The daemon feeds it requests and transition results; it answers with what to start next.
Nothing here does I/O or knows about time, so every rule is a table test.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from modeswitch.model import TOGGLE


class Phase(StrEnum):
    UNKNOWN = "unknown"  # nothing applied yet and the observed seat matches no mode
    IDLE = "idle"  # `mode` is in place
    SWITCHING = "switching"
    FAILED = "failed"  # the last transition failed and was rolled back


@dataclass(frozen=True)
class MachineState:
    phase: Phase = Phase.UNKNOWN
    mode: str | None = None  # the mode in place (IDLE) or last in place (FAILED)
    target: str | None = None  # the mode being switched to (SWITCHING)
    pending: str | None = None  # the latest request that arrived during a switch
    error: str | None = None


@dataclass(frozen=True)
class Decision:
    state: MachineState
    start: str | None = None  # a mode whose transition the daemon must start now


class Machine:
    """Holds the toggle pair and the default; state is passed in and out explicitly."""

    def __init__(self, toggle: tuple[str, str], default: str) -> None:
        self.toggle = toggle
        self.default = default

    def resolve(self, action: str, state: MachineState) -> str:
        """Turn `toggle` into a mode name relative to where the seat is, or is heading."""
        if action != TOGGLE:
            return action
        heading = state.pending or state.target or state.mode
        first, second = self.toggle
        if heading == first:
            return second
        if heading == second:
            return first
        return self.default

    def request(self, action: str, state: MachineState) -> Decision:
        target = self.resolve(action, state)
        if state.phase is Phase.SWITCHING:
            pending = None if target == state.target else target
            return Decision(replace(state, pending=pending))
        return Decision(replace(state, phase=Phase.SWITCHING, target=target, error=None), start=target)

    def finished(self, state: MachineState, ok: bool, error: str | None = None) -> Decision:
        """A transition ended. Start the coalesced request, if any, right away."""
        if ok:
            done = MachineState(Phase.IDLE, mode=state.target)
        else:
            done = MachineState(Phase.FAILED, mode=state.mode, error=error)
        if state.pending is not None and (not ok or state.pending != done.mode):
            return Decision(replace(done, phase=Phase.SWITCHING, target=state.pending), start=state.pending)
        return Decision(done)

    def observed(self, state: MachineState, matching: str | None) -> MachineState:
        """Set the mode from an observation of the world (start-up, VM events)."""
        if state.phase is Phase.SWITCHING:
            return state
        if matching is None:
            phase = Phase.FAILED if state.phase is Phase.FAILED else Phase.UNKNOWN
            return MachineState(phase, mode=None, error=state.error)
        return MachineState(Phase.IDLE, mode=matching)
