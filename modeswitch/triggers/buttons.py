"""Gamepad button names (Linux gamepad spec names, common aliases, raw evdev names).

Pure data plus lookup, so config validation can check combos without importing evdev.
"""

from __future__ import annotations

from modeswitch.config.yamlnodes import suggest

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
