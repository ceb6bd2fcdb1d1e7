"""Table tests for the seat's state machine: requests, coalescing, results, toggle, observation."""

from __future__ import annotations

import pytest

from modeswitch.core.machine import TOGGLE, Decision, Machine, MachineState, Phase

MACHINE = Machine(toggle=("desk", "tv"), default="desk")

UNKNOWN = MachineState()
IDLE_DESK = MachineState(Phase.IDLE, mode="desk")
IDLE_TV = MachineState(Phase.IDLE, mode="tv")
IDLE_COUCH = MachineState(Phase.IDLE, mode="couch")
FAILED_DESK = MachineState(Phase.FAILED, mode="desk", error="hook false exited 1")
FAILED_NOWHERE = MachineState(Phase.FAILED, mode=None, error="boom")


def switching(target: str, mode: str | None = "desk", pending: str | None = None) -> MachineState:
    return MachineState(Phase.SWITCHING, mode=mode, target=target, pending=pending)


@pytest.mark.parametrize(
    ("state", "action", "expected"),
    [
        # not switching: the request starts right away, the last error is cleared
        (UNKNOWN, "tv", Decision(MachineState(Phase.SWITCHING, target="tv"), start="tv")),
        (IDLE_DESK, "tv", Decision(switching("tv"), start="tv")),
        (IDLE_DESK, "desk", Decision(switching("desk"), start="desk")),  # re-applies; plans zero steps
        (FAILED_DESK, "tv", Decision(switching("tv"), start="tv")),
        (FAILED_NOWHERE, "desk", Decision(switching("desk", mode=None), start="desk")),
        # during a switch: coalesce to the latest, start nothing
        (switching("tv"), "desk", Decision(switching("tv", pending="desk"))),
        (switching("tv", pending="desk"), "couch", Decision(switching("tv", pending="couch"))),
        (switching("tv", pending="couch"), "desk", Decision(switching("tv", pending="desk"))),
        (switching("tv", pending="desk"), "tv", Decision(switching("tv", pending=None))),
        (switching("tv"), "tv", Decision(switching("tv"))),
    ],
    ids=["unknown", "idle", "idle-same", "failed", "failed-nowhere", "switching-queues", "pending-replaced",
         "pending-replaced-again", "same-as-target-drops-pending", "same-as-target-nothing-pending"],
)
def test_request(state: MachineState, action: str, expected: Decision) -> None:
    assert MACHINE.request(action, state) == expected


@pytest.mark.parametrize(
    ("state", "ok", "expected"),
    [
        (switching("tv"), True, Decision(IDLE_TV)),
        (switching("tv"), False, Decision(MachineState(Phase.FAILED, mode="desk", error="E"))),
        (switching("tv", mode=None), False, Decision(MachineState(Phase.FAILED, mode=None, error="E"))),
        # a coalesced request starts as soon as the running one ends, whatever its outcome
        (switching("tv", pending="desk"), True,
         Decision(MachineState(Phase.SWITCHING, mode="tv", target="desk"), start="desk")),
        (switching("tv", pending="couch"), False,
         Decision(MachineState(Phase.SWITCHING, mode="desk", target="couch", error="E"), start="couch")),
        # pending equal to where the seat now is: nothing more to do after success ...
        (switching("tv", pending="tv"), True, Decision(IDLE_TV)),
        # ... but after a failure the seat is back where it was, so it is tried again
        (switching("tv", pending="tv"), False,
         Decision(MachineState(Phase.SWITCHING, mode="desk", target="tv", error="E"), start="tv")),
    ],
    ids=["ok", "failed", "failed-from-unknown", "ok-then-pending", "failed-then-pending",
         "ok-pending-same", "failed-pending-same"],
)
def test_finished(state: MachineState, ok: bool, expected: Decision) -> None:
    assert MACHINE.finished(state, ok, None if ok else "E") == expected


@pytest.mark.parametrize(
    ("state", "resolved"),
    [
        (IDLE_DESK, "tv"),
        (IDLE_TV, "desk"),
        (UNKNOWN, "desk"),  # the default
        (IDLE_COUCH, "desk"),  # a mode outside the pair: the default
        (FAILED_DESK, "tv"),  # rolled back to desk, so toggle leaves desk
        (FAILED_NOWHERE, "desk"),
        (switching("tv"), "desk"),  # against where the seat is heading, not where it was
        (switching("tv", pending="desk"), "tv"),
        (switching("desk", mode="tv"), "tv"),
        (switching("couch"), "desk"),
    ],
    ids=["desk", "tv", "unknown", "other-mode", "failed", "failed-nowhere", "switching", "switching-pending",
         "switching-back", "switching-other"],
)
def test_toggle_resolves(state: MachineState, resolved: str) -> None:
    assert MACHINE.resolve(TOGGLE, state) == resolved
    assert MACHINE.resolve("couch", state) == "couch"  # a mode name is taken as it is


def test_toggle_request_during_a_switch() -> None:
    first = MACHINE.request(TOGGLE, IDLE_DESK)
    assert first == Decision(switching("tv"), start="tv")
    second = MACHINE.request(TOGGLE, first.state)
    assert second == Decision(switching("tv", pending="desk"))
    third = MACHINE.request(TOGGLE, second.state)  # toggled back to where it is heading: drop pending
    assert third == Decision(switching("tv"))
    done = MACHINE.finished(third.state, True)
    assert done == Decision(IDLE_TV)


def test_toggle_sequence_through_results() -> None:
    state = UNKNOWN
    seen = []
    for _ in range(4):
        decision = MACHINE.request(TOGGLE, state)
        assert decision.start is not None
        seen.append(decision.start)
        state = MACHINE.finished(decision.state, True).state
    assert seen == ["desk", "tv", "desk", "tv"]
    assert state == IDLE_TV


@pytest.mark.parametrize(
    ("state", "matching", "expected"),
    [
        (UNKNOWN, "tv", IDLE_TV),
        (UNKNOWN, None, UNKNOWN),
        (IDLE_DESK, "tv", IDLE_TV),  # the world changed under us (e.g. a restarted daemon)
        (IDLE_DESK, None, UNKNOWN),
        (FAILED_DESK, None, MachineState(Phase.FAILED, mode=None, error="hook false exited 1")),
        (FAILED_DESK, "desk", IDLE_DESK),
        (switching("tv", pending="desk"), "desk", switching("tv", pending="desk")),  # a switch owns the state
        (switching("tv"), None, switching("tv")),
    ],
    ids=["unknown-match", "unknown-none", "idle-changed", "idle-lost", "failed-none", "failed-match",
         "switching-match", "switching-none"],
)
def test_observed(state: MachineState, matching: str | None, expected: MachineState) -> None:
    assert MACHINE.observed(state, matching) == expected


def test_a_third_mode_pair() -> None:
    machine = Machine(toggle=("couch", "bed"), default="bed")
    assert machine.resolve(TOGGLE, MachineState()) == "bed"
    assert machine.resolve(TOGGLE, MachineState(Phase.IDLE, mode="bed")) == "couch"
    assert machine.resolve(TOGGLE, MachineState(Phase.IDLE, mode="desk")) == "bed"
