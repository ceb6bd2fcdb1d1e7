"""Gamepad button names (Linux gamepad spec names, common aliases, raw evdev names).

Pure data plus lookup, so config validation can check combos without importing evdev.
"""

from __future__ import annotations

from modeswitch.suggest import suggest

# Gamepad key codes (linux/input-event-codes.h) -> the names ComboSpec uses.
KEY_NAMES: dict[int, str] = {
    0x130: "BTN_SOUTH", 0x131: "BTN_EAST", 0x132: "BTN_C", 0x133: "BTN_NORTH",
    0x134: "BTN_WEST", 0x135: "BTN_Z", 0x136: "BTN_TL", 0x137: "BTN_TR", 0x138: "BTN_TL2",
    0x139: "BTN_TR2", 0x13A: "BTN_SELECT", 0x13B: "BTN_START", 0x13C: "BTN_MODE",
    0x13D: "BTN_THUMBL", 0x13E: "BTN_THUMBR",
    0x220: "BTN_DPAD_UP", 0x221: "BTN_DPAD_DOWN", 0x222: "BTN_DPAD_LEFT",
    0x223: "BTN_DPAD_RIGHT",
    # xpad reports the d-pad of some pads as BTN_TRIGGER_HAPPY1..4 (left, right, up, down).
    0x2C0: "BTN_DPAD_LEFT", 0x2C1: "BTN_DPAD_RIGHT", 0x2C2: "BTN_DPAD_UP",
    0x2C3: "BTN_DPAD_DOWN",
    # hid-nintendo's Capture and xpad's Share on Series pads.
    0xA7: "KEY_RECORD",
}

HYSTERESIS = 0.05  # of the axis range: a trigger resting at the threshold must not chatter

# A button change a pad reader reports: (canonical evdev name, 1 pressed / 0 released).
Change = tuple[str, int]
NOTHING: tuple[Change, ...] = ()

# canonical name -> evdev code name. Triggers and d-pad are listed as buttons; the reader
# turns analog triggers and hat axes into presses of these (see triggers/gamepads.py).
CANONICAL: dict[str, str] = {
    "south": "BTN_SOUTH",
    "east": "BTN_EAST",
    "north": "BTN_NORTH",
    "west": "BTN_WEST",
    "tl": "BTN_TL",
    "tr": "BTN_TR",
    "tl2": "BTN_TL2",
    "tr2": "BTN_TR2",
    "select": "BTN_SELECT",
    "start": "BTN_START",
    "mode": "BTN_MODE",
    "thumbl": "BTN_THUMBL",
    "thumbr": "BTN_THUMBR",
    "dpad_up": "BTN_DPAD_UP",
    "dpad_down": "BTN_DPAD_DOWN",
    "dpad_left": "BTN_DPAD_LEFT",
    "dpad_right": "BTN_DPAD_RIGHT",
    "capture": "KEY_RECORD",
}

ALIASES: dict[str, str] = {
    "a": "south",
    "b": "east",
    "x": "north",
    "y": "west",
    "guide": "mode",
    "lb": "tl",
    "rb": "tr",
    "lt": "tl2",
    "rt": "tr2",
    "back": "select",
}

# Raw names accepted as-is; BTN_A and friends are the kernel's own aliases.
RAW: dict[str, str] = {code: code for code in CANONICAL.values()} | {
    "BTN_A": "BTN_SOUTH",
    "BTN_B": "BTN_EAST",
    "BTN_X": "BTN_NORTH",
    "BTN_Y": "BTN_WEST",
    "BTN_GAMEPAD": "BTN_SOUTH",
}


def resolve_button(name: str) -> str:
    """Config name -> evdev code name; raises ValueError with a did-you-mean hint."""
    if name in RAW:
        return RAW[name]
    lowered = name.lower()
    lowered = ALIASES.get(lowered, lowered)
    if lowered in CANONICAL:
        return CANONICAL[lowered]
    raise ValueError(suggest(name, set(CANONICAL) | set(ALIASES) | set(RAW)))
