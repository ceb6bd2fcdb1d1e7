"""xrandr parsing and command lines, on captured `xrandr --query` output."""

from __future__ import annotations

from pathlib import Path

import pytest

from modeswitch.errors import BackendError
from modeswitch.parts.display.spec import DisplayObservation, OutputSetting
from modeswitch.parts.display.x11 import build_argv, check_layout, parse_query

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "xrandr"


def parsed(name: str) -> DisplayObservation:
    return parse_query((FIXTURES / name).read_text())


def test_laptop_with_a_tv_to_the_right() -> None:
    assert parsed("laptop-hdmi-tv.txt").outputs == (
        OutputSetting("eDP-1", True, "1920x1080", True, None),
        OutputSetting("HDMI-1", True, "3840x2160", False, "eDP-1"),
        OutputSetting("DP-1", False),
        OutputSetting("HDMI-2", False),
        OutputSetting("DP-2", False),
    )


def test_desktop_with_the_tv_connected_but_off() -> None:
    assert parsed("desktop-dp-hdmi-off.txt").outputs == (
        OutputSetting("DP-1", True, "2560x1440", True, None),
        OutputSetting("DP-2", False),
        OutputSetting("HDMI-A-1", False),  # its mode list has a preferred mode but none current
        OutputSetting("DVI-D-1", False),
    )


def test_dummy_driver_both_on_and_desk_only() -> None:
    both = parsed("dummy-two-on.txt").outputs
    assert both[:2] == (
        OutputSetting("DUMMY0", True, "1920x1080", False, None),
        OutputSetting("DUMMY1", True, "1920x1080", True, "DUMMY0"),
    )
    assert [o.output for o in both] == [f"DUMMY{n}" for n in range(16)]
    assert not any(o.enabled for o in both[2:])
    desk = parsed("dummy-desk-only.txt").outputs
    assert desk[:2] == (OutputSetting("DUMMY0", True, "1920x1080", True, None), OutputSetting("DUMMY1", False))


STACKED = """\
Screen 0: minimum 320 x 200, current 1920 x 2160, maximum 16384 x 16384
DP-1 connected primary 1920x1080+0+1080 (normal left inverted right x axis y axis) 527mm x 296mm
   1920x1080     60.00*+
HDMI-1 connected 1920x1080+0+0 (normal left inverted right x axis y axis) 1600mm x 900mm
   1920x1080     60.00*+  50.00
DP-2 connected 1080x1920+1920+0 left (normal left inverted right x axis y axis) 527mm x 296mm
   1920x1080     60.00*+
HDMI-2 disconnected 1280x720+3000+0 (normal left inverted right x axis y axis) 0mm x 0mm
   1280x720      60.00*
"""


def test_positions_that_are_not_right_of_anything_and_rotated_outputs() -> None:
    assert parse_query(STACKED).outputs == (
        OutputSetting("DP-1", True, "1920x1080", True, None),  # below HDMI-1, not beside it
        OutputSetting("HDMI-1", True, "1920x1080", False, None),
        OutputSetting("DP-2", True, "1920x1080", False, "HDMI-1"),  # rotated: geometry is 1080x1920
        # a CRTC left on a disconnected output still counts as on; DP-2's rotated edge is x=3000
        OutputSetting("HDMI-2", True, "1280x720", False, "DP-2"),
    )


def test_empty_or_garbage_output_observes_no_outputs() -> None:
    assert parse_query("").outputs == ()
    assert parse_query("Can't open display\n").outputs == ()


@pytest.mark.parametrize(
    ("wanted", "argv"),
    [
        ([OutputSetting("HDMI-1", enabled=False)], ["--output", "HDMI-1", "--off"]),
        ([OutputSetting("HDMI-1", enabled=False, mode="1920x1080", primary=True, right_of="eDP-1")],
         ["--output", "HDMI-1", "--off"]),
        ([OutputSetting("HDMI-1")], ["--output", "HDMI-1", "--auto"]),
        ([OutputSetting("HDMI-1", mode="3840x2160")], ["--output", "HDMI-1", "--mode", "3840x2160"]),
        ([OutputSetting("HDMI-1", primary=True, right_of="eDP-1")],
         ["--output", "HDMI-1", "--auto", "--primary", "--right-of", "eDP-1"]),
        ([OutputSetting("HDMI-1", mode="3840x2160", primary=True, right_of="eDP-1"),
          OutputSetting("eDP-1", enabled=False)],
         ["--output", "HDMI-1", "--mode", "3840x2160", "--primary", "--right-of", "eDP-1",
          "--output", "eDP-1", "--off"]),
        ([], []),
    ],
)
def test_argv_sets_the_whole_layout_in_one_call(wanted: list[OutputSetting], argv: list[str]) -> None:
    assert build_argv(wanted) == argv


LAPTOP = parse_query((FIXTURES / "laptop-hdmi-tv.txt").read_text())


@pytest.mark.parametrize(
    "wanted",
    [
        [OutputSetting("HDMI-1", enabled=False)],
        [OutputSetting("DP-1", right_of="HDMI-1")],
        [OutputSetting("DP-1", right_of="DP-2"), OutputSetting("DP-2")],  # neighbour lit in the same call
    ],
)
def test_layouts_xrandr_can_apply(wanted: list[OutputSetting]) -> None:
    check_layout(wanted, LAPTOP)


@pytest.mark.parametrize(
    ("wanted", "message"),
    [
        ([OutputSetting("HDMI-3")], "xrandr has no output named HDMI-3 (outputs: eDP-1, HDMI-1, DP-1, HDMI-2, DP-2)"),
        ([OutputSetting("HDMI-1", right_of="edp-1")], "xrandr has no output named edp-1"),
        ([OutputSetting("HDMI-1", right_of="DP-1")], "HDMI-1 cannot be right of DP-1: that output would be off"),
        ([OutputSetting("HDMI-1", right_of="eDP-1"), OutputSetting("eDP-1", enabled=False)],
         "HDMI-1 cannot be right of eDP-1"),
    ],
)
def test_layouts_xrandr_would_half_apply_are_refused(wanted: list[OutputSetting], message: str) -> None:
    with pytest.raises(BackendError) as caught:
        check_layout(wanted, LAPTOP)
    assert str(caught.value).startswith(message)
