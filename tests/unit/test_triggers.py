"""Pure parts of the triggers: pad classification, the reader's end-of-device branch, and the
hotplug rules (debounce, already-there, VM-running)."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from evdev import ecodes as e

from modeswitch.model import HotplugRule
from modeswitch.triggers.hotplug import HotplugRules, is_event_node
from modeswitch.triggers.pads import InputIdentity, drain, is_gamepad

PAD_KEYS = [e.BTN_SOUTH, e.BTN_EAST, e.BTN_NORTH, e.BTN_WEST, e.BTN_TL, e.BTN_TR,
            e.BTN_SELECT, e.BTN_START, e.BTN_MODE]
STICKS = [e.ABS_X, e.ABS_Y, e.ABS_RX, e.ABS_RY]

CLASSIFY = [
    ("xpad", {e.EV_KEY: PAD_KEYS, e.EV_ABS: STICKS + [e.ABS_Z, e.ABS_RZ]}, [], True),
    ("switch pro", {e.EV_KEY: PAD_KEYS + [e.BTN_TL2, e.BTN_TR2], e.EV_ABS: STICKS}, [], True),
    ("dualsense touchpad", {e.EV_KEY: [e.BTN_LEFT, e.BTN_TOUCH, e.BTN_TOOL_FINGER],
                            e.EV_ABS: [e.ABS_X, e.ABS_Y, e.ABS_MT_SLOT]}, [0x00, 0x02], False),
    ("dualsense motion", {e.EV_ABS: STICKS + [e.ABS_Z, e.ABS_RZ]}, [0x06], False),
    ("keyboard", {e.EV_KEY: list(range(1, 120))}, [], False),
    ("mouse", {e.EV_KEY: [e.BTN_LEFT, e.BTN_RIGHT], e.EV_REL: [0, 1]}, [], False),
    ("flight stick", {e.EV_KEY: list(range(e.BTN_TRIGGER, e.BTN_TRIGGER + 8)),
                      e.EV_ABS: [e.ABS_X, e.ABS_Y]}, [], False),
    ("buttons without a stick", {e.EV_KEY: PAD_KEYS}, [], False),
]


@pytest.mark.parametrize(("caps", "props", "expected"),
                         [c[1:] for c in CLASSIFY], ids=[c[0] for c in CLASSIFY])
def test_classification(caps, props, expected):
    assert is_gamepad(caps, props) is expected


@dataclass
class Event:
    type: int
    code: int
    value: int


@dataclass
class Source:
    """Stands in for the device fd: yields some events, then ends the way a device ends."""

    events: list[Event] = field(default_factory=list)
    error: OSError | None = None

    def read(self) -> Iterator[Event]:
        yield from self.events
        if self.error is not None:
            raise self.error


@pytest.mark.parametrize(("source", "alive", "seen"), [
    (Source([Event(1, 0x13A, 1)], BlockingIOError(errno.EAGAIN, "again")), True, 1),
    (Source([Event(1, 0x13A, 1)]), True, 1),
    (Source([Event(1, 0x13A, 1)], OSError(errno.ENODEV, "No such device")), False, 1),
    (Source([], OSError(errno.EIO, "I/O error")), False, 0),
    (Source([]), False, 0),  # readable with nothing to read: EOF
], ids=["drained", "batch", "ENODEV mid-batch", "EIO", "EOF"])
def test_drain_ends_quietly_when_the_device_goes(source, alive, seen):
    got: list[tuple[int, int, int]] = []
    assert drain(source, lambda *event: got.append(event)) is alive
    assert len(got) == seen


def test_drain_reraises_other_errors():
    with pytest.raises(PermissionError):
        drain(Source([], PermissionError(errno.EACCES, "denied")), lambda *_: None)


class Seat:
    def __init__(self, mode: str | None = "desk", running: bool = True) -> None:
        self.mode, self.running = mode, running

    def current_mode(self) -> str | None:
        return self.mode

    def vm_running(self) -> bool:
        return self.running


class Recorder:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []

    def request(self, action: str, source: str) -> None:
        self.requests.append((action, source))


PAD = InputIdentity("/dev/input/event5", "Xbox Wireless Controller", 0x045E, 0x0B13, True)
TOUCHPAD = InputIdentity("/dev/input/event6", "DualSense Touchpad", 0x054C, 0x0CE6, False)
DS_PAD = InputIdentity("/dev/input/event7", "DualSense Wireless Controller", 0x054C, 0x0CE6, True)
TV = HotplugRule(mode="tv", debounce=2.0)
SONY = HotplugRule(mode="tv", kind=None, vendor=0x054C, product=0x0CE6)
VM_ONLY = HotplugRule(mode="tv", only_when_vm_running=True)

# (name, rules, seat, connects [(identity, t)], expected modes requested)
RULES = [
    ("pad connect", [TV], Seat(), [(PAD, 0.0)], ["tv"]),
    ("storm is one request", [TV], Seat(), [(PAD, 0.0), (PAD, 0.5), (PAD, 1.9), (PAD, 3.5)],
     ["tv"]),
    ("quiet window passed", [TV], Seat(), [(PAD, 0.0), (PAD, 2.5)], ["tv", "tv"]),
    ("already there", [TV], Seat("tv"), [(PAD, 0.0)], []),
    ("non-pad ignored", [TV], Seat(), [(TOUCHPAD, 0.0)], []),
    ("vendor rule matches any node once", [SONY], Seat(), [(TOUCHPAD, 0.0), (DS_PAD, 0.01)],
     ["tv"]),
    ("vendor rule, other vendor", [SONY], Seat(), [(PAD, 0.0)], []),
    ("vm not running", [VM_ONLY], Seat(running=False), [(PAD, 0.0)], []),
    ("vm running", [VM_ONLY], Seat(running=True), [(PAD, 0.0)], ["tv"]),
]


@pytest.mark.parametrize(("rules", "seat", "connects", "expected"),
                         [c[1:] for c in RULES], ids=[c[0] for c in RULES])
def test_hotplug_rules(rules, seat, connects, expected):
    recorder = Recorder()
    policy = HotplugRules(rules, recorder, seat)
    for identity, t in connects:
        policy.connected(identity, t)
    assert [action for action, _ in recorder.requests] == expected
    assert all(source.startswith("hotplug ") for _, source in recorder.requests)


def test_event_nodes_only():
    from pathlib import Path
    assert is_event_node("/dev/input/event12", Path("/dev/input"))
    assert not is_event_node("/dev/input/js0", Path("/dev/input"))
    assert not is_event_node("/dev/input/by-id/usb-pad-event-joystick", Path("/dev/input"))
