"""The Wayland wire format (header word = size << 16 | opcode, 32-bit aligned arguments,
strings with their NUL and padding, fixed 24.8) and the folding of wlr-output-management
events into heads, against bytes laid out as libwayland writes them (little-endian here)."""

from __future__ import annotations

import pytest

from modeswitch.errors import BackendError
from modeswitch.parts.display.layout import Head
from modeswitch.parts.display.wayland_wire import Event, decode_args, encode, socket_path, split
from modeswitch.parts.display.wlroots import HeadInfo, ModeInfo, gather, pick_mode

M, H1, H2, MODE_A, MODE_B, MODE_C = 3, 0xFF000000, 0xFF000002, 0xFF000001, 0xFF000003, 0xFF000004


@pytest.mark.parametrize(("message", "wire"), [
    # the first thing every client sends: wl_display@1.get_registry(new id 2)
    ((1, 1, "n", [2]), "01000000 01000c00 02000000"),
    ((1, 0, "n", [3]), "01000000 00000c00 03000000"),  # wl_display.sync(new id 3)
    # wl_registry@2.bind(name 7, "zwlr_output_manager_v1" (23 bytes with NUL, padded to 24), v4, id 4)
    ((2, 0, "usuu", [7, "zwlr_output_manager_v1", 4, 4]),
     "02000000 00003000 07000000 17000000" + b"zwlr_output_manager_v1".hex() + "0000 04000000 04000000"),
    ((9, 2, "ii", [1920, -1]), "09000000 02001000 80070000 ffffffff"),  # set_position(1920, -1)
    ((9, 4, "f", [1.5]), "09000000 04000c00 80010000"),  # set_scale(1.5): 24.8 fixed
    ((5, 2, "", []), "05000000 02000800"),  # configuration.apply()
])
def test_requests_encode(message: tuple[int, int, str, list[int | str | float]], wire: str) -> None:
    assert encode(*message).hex() == wire.replace(" ", "")


@pytest.mark.parametrize(("signature", "body", "args"), [
    ("usu", "07000000 17000000" + b"zwlr_output_manager_v1".hex() + "0000 04000000",
     (7, "zwlr_output_manager_v1", 4)),
    ("s", "0b000000" + b"HEADLESS-1".hex() + "00 00", ("HEADLESS-1",)),
    ("s", "04000000" + b"DP-".hex() + "00", ("DP-",)),  # exactly aligned: no padding
    ("ii", "80070000 38040000", (1920, 1080)),
    ("f", "00020000", (2.0,)),
    ("n:zwlr_output_head_v1", "000000ff", (H1,)),
    ("", "", ()),
])
def test_events_decode(signature: str, body: str, args: tuple[object, ...]) -> None:
    assert decode_args(signature, bytes.fromhex(body.replace(" ", ""))) == args


def test_split_keeps_a_partial_message_for_later() -> None:
    whole = bytes.fromhex("03000000 01000c00 2a000000".replace(" ", ""))
    messages, rest = split(whole + whole[:5])
    assert messages == [(3, 1, bytes.fromhex("2a000000"))] and rest == whole[:5]
    with pytest.raises(BackendError, match="malformed"):
        split(bytes.fromhex("03000000 01000400"))


def test_the_socket_is_found_as_libwayland_finds_it() -> None:
    assert socket_path({"WAYLAND_DISPLAY": "wayland-1", "XDG_RUNTIME_DIR": "/run/user/1000"}) == \
        "/run/user/1000/wayland-1"
    assert socket_path({"WAYLAND_DISPLAY": "/tmp/wl", "XDG_RUNTIME_DIR": "/x"}) == "/tmp/wl"
    assert socket_path({"XDG_RUNTIME_DIR": "/r"}) == "/r/wayland-0"
    with pytest.raises(BackendError, match="XDG_RUNTIME_DIR is not set"):
        socket_path({"WAYLAND_DISPLAY": "wayland-1"})


def _events() -> list[Event]:
    head, mode, manager = "zwlr_output_head_v1", "zwlr_output_mode_v1", "zwlr_output_manager_v1"
    return [
        Event(M, manager, "head", (H1,)), Event(H1, head, "name", ("DP-1",)),
        Event(H1, head, "mode", (MODE_A,)), Event(MODE_A, mode, "size", (2560, 1440)),
        Event(MODE_A, mode, "refresh", (59951,)), Event(MODE_A, mode, "preferred", ()),
        Event(H1, head, "mode", (MODE_C,)), Event(MODE_C, mode, "size", (1920, 1080)),
        Event(H1, head, "enabled", (1,)), Event(H1, head, "current_mode", (MODE_A,)),
        Event(H1, head, "position", (0, 0)), Event(H1, head, "scale", (2.0,)),
        Event(M, manager, "head", (H2,)), Event(H2, head, "name", ("HDMI-A-1",)),
        Event(H2, head, "mode", (MODE_B,)), Event(MODE_B, mode, "size", (1920, 1080)),
        Event(H2, head, "enabled", (0,)), Event(M, manager, "done", (17,)),
    ]


def test_events_fold_into_heads() -> None:
    heads: dict[int, HeadInfo] = {}
    modes: dict[int, ModeInfo] = {}
    assert gather(_events()[:-1], heads, modes) is None  # no `done` yet: keep reading
    assert gather(_events()[-1:], heads, modes) == 17
    assert [info.head() for info in heads.values()] == [
        Head("DP-1", True, 2560, 1440, 0, 0, 2.0, preferred=(2560, 1440)),
        Head("HDMI-A-1", False, 0, 0, 0, 0, 1.0, preferred=(1920, 1080)),  # first mode when none is preferred
    ]
    gather([Event(H2, "zwlr_output_head_v1", "finished", ())], heads, modes)
    assert list(heads) == [H1]  # unplugged


@pytest.mark.parametrize(("size", "mode"), [
    ((2560, 1440), MODE_A),  # the current one, when the size stays
    ((1920, 1080), MODE_C),
    ((1280, 720), None),  # not listed: a custom mode
])
def test_a_size_picks_the_heads_own_mode(size: tuple[int, int], mode: int | None) -> None:
    heads: dict[int, HeadInfo] = {}
    gather(_events(), heads, {})
    assert pick_mode(heads[H1], *size) == mode


def test_of_two_modes_of_one_size_the_preferred_then_the_fastest_wins() -> None:
    info = HeadInfo(H1, "DP-1", True, {1: ModeInfo(1920, 1080, 60000), 2: ModeInfo(1920, 1080, 144000),
                                       3: ModeInfo(1920, 1080, 50000, preferred=True)}, current=None)
    assert pick_mode(info, 1920, 1080) == 3
    info.modes[3].preferred = False
    assert pick_mode(info, 1920, 1080) == 2
