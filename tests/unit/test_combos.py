"""Tables for the chord detector and the per-pad event mapper: events in, fires out."""

from __future__ import annotations

import pytest

from modeswitch.model import ComboSpec
from modeswitch.triggers.combos import (
    ABS_HAT0X,
    ABS_HAT0Y,
    ABS_RX,
    ABS_RY,
    ABS_RZ,
    ABS_Z,
    EV_ABS,
    EV_KEY,
    AxisRange,
    ChordDetector,
    PadMapper,
)

SELECT_START = ComboSpec(buttons=("BTN_SELECT", "BTN_START"), action="toggle")
HELD_MODE = ComboSpec(buttons=("BTN_MODE", "BTN_SOUTH"), action="tv", hold=1.0)
LOOSE = ComboSpec(buttons=("BTN_TL", "BTN_TR"), action="desk", cancel_on_other=False)

P, R = 1, 0  # pressed, released

# (name, combos, events [(pad, button, value, t)], expected [(pad, action, t)])
CASES = [
    ("in order", [SELECT_START],
     [(0, "BTN_SELECT", P, 0.0), (0, "BTN_START", P, 0.1)], [(0, "toggle", 0.1)]),
    ("reverse order", [SELECT_START],
     [(0, "BTN_START", P, 0.0), (0, "BTN_SELECT", P, 0.1)], [(0, "toggle", 0.1)]),
    ("one button is not a chord", [SELECT_START], [(0, "BTN_START", P, 0.0)], []),
    ("released before completion", [SELECT_START],
     [(0, "BTN_START", P, 0.0), (0, "BTN_START", R, 0.1), (0, "BTN_SELECT", P, 0.2)], []),
    ("fires once per hold", [SELECT_START],
     [(0, "BTN_START", P, 0.0), (0, "BTN_SELECT", P, 0.1), (0, "BTN_SELECT", P, 0.2),
      (0, "BTN_SELECT", 2, 0.3)], [(0, "toggle", 0.1)]),
    ("release and re-press fires again", [SELECT_START],
     [(0, "BTN_START", P, 0.0), (0, "BTN_SELECT", P, 0.1), (0, "BTN_SELECT", R, 0.5),
      (0, "BTN_SELECT", P, 0.9)], [(0, "toggle", 0.1), (0, "toggle", 0.9)]),
    ("other button mid-chord cancels", [SELECT_START],
     [(0, "BTN_START", P, 0.0), (0, "BTN_SOUTH", P, 0.1), (0, "BTN_SOUTH", R, 0.2),
      (0, "BTN_SELECT", P, 0.3)], []),
    ("cancel lasts until all released", [SELECT_START],
     [(0, "BTN_START", P, 0.0), (0, "BTN_SOUTH", P, 0.1), (0, "BTN_SOUTH", R, 0.2),
      (0, "BTN_START", R, 0.3), (0, "BTN_START", P, 0.4), (0, "BTN_SELECT", P, 0.5)],
     [(0, "toggle", 0.5)]),
    ("button held from before blocks", [SELECT_START],
     [(0, "BTN_TR2", P, 0.0), (0, "BTN_START", P, 0.1), (0, "BTN_SELECT", P, 0.2)], []),
    ("cancel_on_other off tolerates extras", [LOOSE],
     [(0, "BTN_SOUTH", P, 0.0), (0, "BTN_TL", P, 0.1), (0, "BTN_EAST", P, 0.15),
      (0, "BTN_TR", P, 0.2)], [(0, "desk", 0.2)]),
    ("two pads keep separate state", [SELECT_START],
     [(0, "BTN_START", P, 0.0), (1, "BTN_SELECT", P, 0.1)], []),
    ("either pad can fire", [SELECT_START],
     [(0, "BTN_START", P, 0.0), (1, "BTN_SELECT", P, 0.1), (1, "BTN_START", P, 0.2),
      (0, "BTN_SELECT", P, 0.3)], [(1, "toggle", 0.2), (0, "toggle", 0.3)]),
    ("other pad does not cancel", [SELECT_START],
     [(0, "BTN_START", P, 0.0), (1, "BTN_SOUTH", P, 0.1), (0, "BTN_SELECT", P, 0.2)],
     [(0, "toggle", 0.2)]),
    ("release of unknown button is harmless", [SELECT_START],
     [(0, "BTN_EAST", R, 0.0), (0, "BTN_SELECT", P, 0.1), (0, "BTN_START", P, 0.2)],
     [(0, "toggle", 0.2)]),
]


def run(combos: list[ComboSpec], events: list[tuple[int, str, int, float]]) -> list[tuple]:
    detector = ChordDetector(combos)
    fired = []
    for pad, button, value, t in events:
        fired += detector.expire(t)
        fired += detector.feed(pad, button, value, t)
    return [(f.pad, f.combo.action, f.time) for f in fired]


@pytest.mark.parametrize(("combos", "events", "expected"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_chords(combos, events, expected):
    assert run(combos, events) == expected


HOLD_CASES = [
    ("no deadline before the chord", [(0, "BTN_MODE", P, 0.0)], None, []),
    ("deadline after completion", [(0, "BTN_MODE", P, 0.0), (0, "BTN_SOUTH", P, 0.2)], 1.2, []),
    ("released early: no fire, no deadline",
     [(0, "BTN_MODE", P, 0.0), (0, "BTN_SOUTH", P, 0.2), (0, "BTN_SOUTH", R, 0.9)], None, []),
    ("foreign press disarms",
     [(0, "BTN_MODE", P, 0.0), (0, "BTN_SOUTH", P, 0.2), (0, "BTN_EAST", P, 0.5)], None, []),
]


@pytest.mark.parametrize(("events", "deadline", "fired"),
                         [c[1:] for c in HOLD_CASES], ids=[c[0] for c in HOLD_CASES])
def test_hold_deadlines(events, deadline, fired):
    detector = ChordDetector([HELD_MODE])
    out = [f for pad, b, v, t in events for f in detector.feed(pad, b, v, t)]
    assert out == fired
    assert detector.next_deadline() == deadline


def test_hold_fires_once_at_the_deadline():
    detector = ChordDetector([HELD_MODE])
    detector.feed(0, "BTN_MODE", P, 0.0)
    detector.feed(0, "BTN_SOUTH", P, 0.2)
    assert detector.expire(1.1) == []
    [fire] = detector.expire(1.2)
    assert (fire.combo.action, fire.time) == ("tv", 1.2)
    assert detector.expire(5.0) == [] and detector.next_deadline() is None
    detector.feed(0, "BTN_SOUTH", R, 6.0)
    detector.feed(0, "BTN_SOUTH", P, 6.5)
    assert detector.next_deadline() == 7.5


def test_forget_drops_a_pads_pending_hold():
    detector = ChordDetector([HELD_MODE])
    detector.feed("pad", "BTN_MODE", P, 0.0)
    detector.feed("pad", "BTN_SOUTH", P, 0.0)
    detector.forget("pad")
    assert detector.next_deadline() is None and detector.expire(9.0) == []


XPAD = {ABS_Z: AxisRange(0, 255), ABS_RZ: AxisRange(0, 255), ABS_RX: AxisRange(-32768, 32767),
        ABS_RY: AxisRange(-32768, 32767), ABS_HAT0X: AxisRange(-1, 1), ABS_HAT0Y: AxisRange(-1, 1)}
XPADNEO = XPAD | {ABS_Z: AxisRange(0, 1023), ABS_RZ: AxisRange(0, 1023)}

# (name, axes, raw events [(type, code, value)], expected changes)
MAPPER_CASES = [
    ("trigger past half of 0..255", XPAD, [(EV_ABS, ABS_Z, 100), (EV_ABS, ABS_Z, 130)],
     [("BTN_TL2", 1)]),
    ("trigger past half of 0..1023", XPADNEO, [(EV_ABS, ABS_RZ, 130), (EV_ABS, ABS_RZ, 600)],
     [("BTN_TR2", 1)]),
    ("trigger chatter at threshold is absorbed", XPAD,
     [(EV_ABS, ABS_Z, 128), (EV_ABS, ABS_Z, 125), (EV_ABS, ABS_Z, 129), (EV_ABS, ABS_Z, 0)],
     [("BTN_TL2", 1), ("BTN_TL2", 0)]),
    ("hat is a d-pad", XPAD,
     [(EV_ABS, ABS_HAT0X, -1), (EV_ABS, ABS_HAT0X, 1), (EV_ABS, ABS_HAT0X, 0),
      (EV_ABS, ABS_HAT0Y, -1)],
     [("BTN_DPAD_LEFT", 1), ("BTN_DPAD_LEFT", 0), ("BTN_DPAD_RIGHT", 1),
      ("BTN_DPAD_RIGHT", 0), ("BTN_DPAD_UP", 1)]),
    ("sticks are not buttons", XPAD, [(EV_ABS, ABS_RX, 30000), (EV_ABS, 0x00, -32768)], []),
    ("Z without a right stick is a stick", {ABS_Z: AxisRange(0, 255)},
     [(EV_ABS, ABS_Z, 255)], []),
    ("keys keep their names, autorepeat dropped", XPAD,
     [(EV_KEY, 0x13A, 1), (EV_KEY, 0x13A, 2), (EV_KEY, 0x2C2, 1), (EV_KEY, 0xA7, 1), (EV_KEY, 0x2C4, 1)],
     [("BTN_SELECT", 1), ("BTN_DPAD_UP", 1), ("KEY_RECORD", 1), ("KEY_0x2c4", 1)]),
]


@pytest.mark.parametrize(("axes", "events", "expected"),
                         [c[1:] for c in MAPPER_CASES], ids=[c[0] for c in MAPPER_CASES])
def test_mapper(axes, events, expected):
    mapper = PadMapper(axes, threshold=0.5)
    assert [change for e in events for change in mapper.translate(*e)] == expected


def test_trigger_and_hat_complete_a_chord():
    mapper = PadMapper(XPAD, threshold=0.5)
    detector = ChordDetector([ComboSpec(buttons=("BTN_TL2", "BTN_DPAD_DOWN"), action="tv")])
    fired = []
    for t, raw in enumerate([(EV_ABS, ABS_HAT0Y, 1), (EV_ABS, ABS_Z, 40), (EV_ABS, ABS_Z, 200)]):
        for button, value in mapper.translate(*raw):
            fired += detector.feed("pad", button, value, float(t))
    assert [(f.combo.action, f.time) for f in fired] == [("tv", 2.0)]
