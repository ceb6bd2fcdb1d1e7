"""Table tests for plan_display: a mode's display list x an observed layout -> a step and its undo."""

from __future__ import annotations

import pytest

from modeswitch.errors import PlanError
from modeswitch.model import StepKind
from modeswitch.parts.display.plan import plan_display, satisfied
from modeswitch.parts.display.spec import DisplayObservation, OutputSetting

DESK = OutputSetting("DP-1", True, "2560x1440", True, None)
DESK_PLAIN = OutputSetting("DP-1", True, "2560x1440", False, None)
TV = OutputSetting("HDMI-A-1", True, "3840x2160", False, "DP-1")
TV_PRIMARY = OutputSetting("HDMI-A-1", True, "3840x2160", True, "DP-1")
TV_OFF = OutputSetting("HDMI-A-1", False)
TV_OFF_SEEN = OutputSetting("HDMI-A-1", False, None, False, None)
SPARE = OutputSetting("DVI-D-1", False)

SEEN_DESK = DisplayObservation((DESK, TV_OFF_SEEN, SPARE))
SEEN_BOTH = DisplayObservation((DESK_PLAIN, TV_PRIMARY, SPARE))


@pytest.mark.parametrize(
    ("wanted", "seen", "expected"),
    [
        (OutputSetting("HDMI-A-1"), TV, True),  # no mode, no position named: any enabled one
        (OutputSetting("HDMI-A-1", mode="3840x2160"), TV, True),
        (OutputSetting("HDMI-A-1", mode="1920x1080"), TV, False),
        (OutputSetting("HDMI-A-1", right_of="DP-1"), TV, True),
        (OutputSetting("HDMI-A-1", right_of="DVI-D-1"), TV, False),
        (OutputSetting("HDMI-A-1", primary=True), TV, False),
        (OutputSetting("HDMI-A-1", primary=True), TV_PRIMARY, True),
        (OutputSetting("HDMI-A-1"), TV_PRIMARY, True),  # primary: false is "don't care"
        (OutputSetting("HDMI-A-1"), TV_OFF_SEEN, False),
        (TV_OFF, TV_OFF_SEEN, True),
        (TV_OFF, TV, False),
        (OutputSetting("HDMI-A-1", enabled=False, mode="3840x2160", primary=True), TV_OFF_SEEN, True),
        (TV, None, False),
    ],
)
def test_satisfied_compares_only_what_the_mode_sets(
    wanted: OutputSetting, seen: OutputSetting | None, expected: bool
) -> None:
    assert satisfied(wanted, seen) is expected


@pytest.mark.parametrize(
    ("wanted", "seen"),
    [
        ((OutputSetting("HDMI-A-1", primary=True, right_of="DP-1"),), SEEN_BOTH),
        ((OutputSetting("DP-1"), OutputSetting("HDMI-A-1", mode="3840x2160")), SEEN_BOTH),
        ((OutputSetting("HDMI-A-1", enabled=False), OutputSetting("DP-1", primary=True)), SEEN_DESK),
        (None, SEEN_DESK),
        ((TV_OFF,), None),  # displays could not be observed: leave them alone
    ],
)
def test_a_layout_already_in_place_plans_nothing(
    wanted: tuple[OutputSetting, ...] | None, seen: DisplayObservation | None
) -> None:
    assert plan_display(wanted, seen) == []


@pytest.mark.parametrize(
    ("wanted", "seen", "undo"),
    [
        # TV on and primary: the undo turns it off and gives "primary" back to the desk screen
        ((OutputSetting("HDMI-A-1", mode="3840x2160", primary=True, right_of="DP-1"),), SEEN_DESK,
         (TV_OFF_SEEN, DESK)),
        # TV on but the desk keeps "primary": nothing else to restore
        ((OutputSetting("HDMI-A-1", right_of="DP-1"),), SEEN_DESK, (TV_OFF_SEEN,)),
        # TV off, desk primary again: the undo restores both exactly as observed
        ((TV_OFF, OutputSetting("DP-1", primary=True)), SEEN_BOTH, (TV_PRIMARY, DESK_PLAIN)),
        # a mode listing the primary output itself does not repeat it
        ((OutputSetting("DP-1", mode="1920x1080", primary=True),), SEEN_DESK, (DESK,)),
    ],
)
def test_a_change_is_one_step_undone_by_what_was_observed(
    wanted: tuple[OutputSetting, ...], seen: DisplayObservation, undo: tuple[OutputSetting, ...]
) -> None:
    [step] = plan_display(wanted, seen)
    assert (step.kind, step.target, step.args["outputs"]) == (StepKind.DISPLAY, "displays", wanted)
    assert step.undo is not None and step.undo.kind is StepKind.DISPLAY
    assert step.undo.args["outputs"] == undo
    assert plan_display(undo, seen) == []  # the undo describes the observed layout


@pytest.mark.parametrize(
    ("wanted", "named"),
    [
        ((OutputSetting("HDMI-1"),), "HDMI-1"),
        ((OutputSetting("HDMI-A-1", right_of="DP1"),), "DP1"),
        ((OutputSetting("HDMI-2", right_of="DP-3"),), "DP-3, HDMI-2"),
    ],
)
def test_an_output_the_server_lacks_is_a_plan_error_listing_the_real_ones(
    wanted: tuple[OutputSetting, ...], named: str
) -> None:
    with pytest.raises(PlanError) as caught:
        plan_display(wanted, SEEN_DESK)
    assert str(caught.value) == f"no display output named {named} (outputs: DP-1, HDMI-A-1, DVI-D-1)"
