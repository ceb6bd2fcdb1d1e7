"""Pure parts of the Wayland display backends: geometry, session choice, reply parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from modeswitch.errors import BackendError
from modeswitch.parts.display.gnome import parse_state
from modeswitch.parts.display.kde import arguments, parse_config
from modeswitch.parts.display.layout import Head, arrange, changed, observation, parse_size
from modeswitch.parts.display.session import DisplaySession, detect_session
from modeswitch.parts.display.spec import OutputSetting
from modeswitch.parts.display.sway import commands, encode, parse_outputs, pinned

DESK = Head("DP-1", True, 2560, 1440, 0, 0, primary=True)
TV = Head("HDMI-A-1", False, preferred=(3840, 2160))


@pytest.mark.parametrize(("wanted", "expected"), [
    # the TV switched on right of the desk screen, in its preferred mode, and made primary
    ((OutputSetting("HDMI-A-1", right_of="DP-1", primary=True),),
     (Head("DP-1", True, 2560, 1440, 0, 0), Head("HDMI-A-1", True, 3840, 2160, 2560, 0, primary=True,
                                                  preferred=(3840, 2160)))),
    # switched on with no place named: right of the rightmost lit output
    ((OutputSetting("HDMI-A-1", mode="1920x1080"),),
     (DESK, Head("HDMI-A-1", True, 1920, 1080, 2560, 0, preferred=(3840, 2160)))),
    # desk right of the TV: the layout is shifted back to start at 0,0
    ((OutputSetting("HDMI-A-1", mode="1920x1080@60"), OutputSetting("DP-1", right_of="HDMI-A-1")),
     (Head("DP-1", True, 2560, 1440, 1920, 0, primary=True),
      Head("HDMI-A-1", True, 1920, 1080, 0, 0, preferred=(3840, 2160)))),
    # switching off drops primary with it
    ((OutputSetting("DP-1", enabled=False),), (Head("DP-1", False, 2560, 1440, 0, 0), TV)),
])
def test_arrange(wanted: tuple[OutputSetting, ...], expected: tuple[Head, ...]) -> None:
    assert arrange([DESK, TV], wanted) == expected


def test_scaled_outputs_are_placed_by_their_logical_width() -> None:
    hidpi = Head("eDP-1", True, 3840, 2160, 0, 0, scale=2.0)
    [_, tv] = arrange([hidpi, TV], [OutputSetting("HDMI-A-1", right_of="eDP-1")])
    assert (tv.x, tv.y) == (1920, 0)
    assert observation([hidpi, tv]).outputs[1].right_of == "eDP-1"


@pytest.mark.parametrize(("wanted", "message"), [
    ((OutputSetting("HDMI-A-1", right_of="DP-1"), OutputSetting("DP-1", enabled=False)),
     "HDMI-A-1 cannot be right of DP-1: that output would be off"),
    ((OutputSetting("HDMI-A-1", mode="preferred"),), "'preferred' is not a WIDTHxHEIGHT mode"),
])
def test_layouts_refused_before_anything_is_sent(wanted: tuple[OutputSetting, ...], message: str) -> None:
    with pytest.raises(BackendError, match=message):
        arrange([DESK, TV], wanted)


def test_overlapping_outputs_are_refused() -> None:
    left = Head("A", True, 1920, 1080, 0, 0)
    right = Head("B", True, 1920, 1080, 1920, 0)
    with pytest.raises(BackendError, match="A and B would overlap"):
        arrange([left, right], [OutputSetting("A", mode="2560x1440")])


def test_only_changed_heads_are_sent_and_size_parsing() -> None:
    after = arrange([DESK, TV], [OutputSetting("HDMI-A-1", right_of="DP-1")])
    assert [h.name for h in changed([DESK, TV], after)] == ["HDMI-A-1"]
    assert parse_size("1280x720@59.94Hz") == (1280, 720)


@pytest.mark.parametrize(("env", "session"), [
    ({"DISPLAY": ":0"}, DisplaySession.X11),
    ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "ubuntu:GNOME"}, DisplaySession.GNOME),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "KDE"}, DisplaySession.KDE),
    ({"WAYLAND_DISPLAY": "wayland-1", "SWAYSOCK": "/run/user/1000/sway-ipc.sock"}, DisplaySession.SWAY),
    ({"XDG_SESSION_TYPE": "wayland", "XDG_CURRENT_DESKTOP": "sway"}, DisplaySession.SWAY),
    ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11", "XDG_CURRENT_DESKTOP": "KDE"}, DisplaySession.X11),
    ({"WAYLAND_DISPLAY": "wayland-1", "XDG_CURRENT_DESKTOP": "Hyprland"}, DisplaySession.WLROOTS),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "labwc:wlroots"}, DisplaySession.WLROOTS),
    ({"XDG_SESSION_TYPE": "wayland", "XDG_CURRENT_DESKTOP": "river"}, DisplaySession.WLROOTS),
])
def test_the_session_picks_the_backend(env: dict[str, str], session: DisplaySession) -> None:
    assert detect_session(env) is session


@pytest.mark.parametrize(("env", "message"), [
    ({}, "no desktop session to set displays in"),
])
def test_sessions_without_a_backend_say_so(env: dict[str, str], message: str) -> None:
    with pytest.raises(BackendError, match=message):
        detect_session(env)


def test_sway_reply_and_commands() -> None:
    # trimmed from `swaymsg -r -t get_outputs` of sway 1.7: one lit output, one disabled
    reply = [
        {"name": "DP-1", "active": True, "rect": {"x": 0, "y": 0, "width": 1280, "height": 720}, "scale": 2.0,
         "current_mode": {"width": 2560, "height": 1440, "refresh": 59951},
         "modes": [{"width": 2560, "height": 1440, "refresh": 59951}]},
        {"name": "HDMI-A-1", "active": False, "rect": {"x": 0, "y": 0, "width": 0, "height": 0}, "scale": -1.0,
         "current_mode": {"width": 3840, "height": 2160, "refresh": 60000},
         "modes": [{"width": 3840, "height": 2160, "refresh": 60000},
                   {"width": 1920, "height": 1080, "refresh": 60000}]},
    ]
    heads = parse_outputs(reply)
    assert heads == (Head("DP-1", True, 2560, 1440, 0, 0, 2.0, preferred=(2560, 1440)),
                     Head("HDMI-A-1", False, preferred=(3840, 2160)))
    placed = arrange(heads, [OutputSetting("HDMI-A-1", right_of="DP-1")])
    assert commands([placed[1]]) == "output HDMI-A-1 enable mode 3840x2160 position 1280 0"
    assert commands([Head("DP-1", False)]) == "output DP-1 disable"
    assert encode(3) == b"i3-ipc" + (0).to_bytes(4, "little") + (3).to_bytes(4, "little")


def test_mutter_state() -> None:
    # the shape GetCurrentState returns through jeepney (variants as (signature, value))
    current = {"is-current": ("b", True), "is-preferred": ("b", True)}
    body = (7, [
        (("DP-1", "DEL", "U2720Q", "ABC"), [("3840x2160@59.997", 3840, 2160, 59.997, 2.0, [1.0, 2.0], current)], {}),
        (("HDMI-1", "SAM", "QN55", "0x01"), [("1920x1080@60.000", 1920, 1080, 60.0, 1.0, [1.0], {}),
                                             ("3840x2160@60.000", 3840, 2160, 60.0, 1.0, [1.0],
                                              {"is-preferred": ("b", True)})], {}),
    ], [(0, 0, 2.0, 0, True, [("DP-1", "DEL", "U2720Q", "ABC")], {})], {})
    state = parse_state(body)
    assert state.serial == 7
    assert [m.head for m in state.monitors] == [Head("DP-1", True, 3840, 2160, 0, 0, 2.0, True, (3840, 2160)),
                                                Head("HDMI-1", False, preferred=(3840, 2160))]


def test_kscreen_doctor_json_captured_from_kwin_5_27() -> None:
    text = (Path(__file__).parents[1] / "fixtures" / "kscreen" / "kwin-5.27-two-virtual.json").read_text()
    heads, modes = parse_config(text)
    assert heads == (Head("Virtual-0", True, 1920, 1080, 0, 0, 1.0, True, (1920, 1080)),
                     Head("Virtual-1", True, 1920, 1080, 1920, 0, 1.0, False, (1920, 1080)))
    assert modes["Virtual-1"] == (("0", 1920, 1080, 60.0),)
    swapped = [OutputSetting("Virtual-1", primary=True), OutputSetting("Virtual-0", right_of="Virtual-1")]
    placed = arrange(heads, swapped)
    assert arguments(changed(heads, placed), modes) == [
        "output.Virtual-0.enable", "output.Virtual-0.mode.0", "output.Virtual-0.position.1920,0",
        "output.Virtual-1.enable", "output.Virtual-1.mode.0", "output.Virtual-1.position.0,0",
        "output.Virtual-1.priority.1"]
    assert arguments([Head("Virtual-1", False)], modes) == ["output.Virtual-1.disable"]


def test_sway_pins_every_lit_output() -> None:
    """sway re-places outputs without a configured position when another moves: pin them all."""
    desk, tv = Head("HEADLESS-1", True, 1280, 720), Head("HEADLESS-2", True, 1920, 1080, 1280)
    after = arrange([desk, tv], [OutputSetting("HEADLESS-2", mode="1280x720", right_of="HEADLESS-1")])
    assert commands(pinned([desk, tv], after)) == (
        "output HEADLESS-1 enable mode 1280x720 position 0 0; output HEADLESS-2 enable mode 1280x720 position 1280 0")
    dark = Head("HEADLESS-3", False)
    assert pinned([desk, dark], [desk, dark]) == [desk]  # an output that stays dark is not touched
    assert pinned([desk, tv], [desk, Head("HEADLESS-2", False)]) == [desk, Head("HEADLESS-2", False)]


def test_an_output_right_of_another_is_placed_after_that_ones_new_size() -> None:
    """The undo of "TV off, desk 1600x900" names the TV (right of the desk) first."""
    desk, tv = Head("DP-1", True, 1600, 900), Head("HDMI-A-1", False)
    after = arrange([tv, desk], [OutputSetting("HDMI-A-1", mode="1920x1080", right_of="DP-1"),
                                 OutputSetting("DP-1", mode="1280x720")])
    assert [(h.name, h.x, h.width) for h in after] == [("HDMI-A-1", 1280, 1920), ("DP-1", 0, 1280)]
