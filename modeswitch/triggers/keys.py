"""Key names for the combos of a TV remote (HDMI-CEC) and of a host keyboard.

A CEC adapter's remote keys reach Linux as an rc input device with bus type BUS_CEC and the
`rc-cec` keymap, so a remote can only send the keys of that map; a combo naming another key
could never fire, and config validation says so. Keyboard keys are any KEY_* the kernel has.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from modeswitch.suggest import suggest

BUS_CEC = 0x1E

# drivers/media/rc/keymaps/rc-cec.c: every key a CEC remote can produce.
RC_CEC_KEYS = frozenset({
    "KEY_SELECT", "KEY_UP", "KEY_DOWN", "KEY_LEFT", "KEY_RIGHT", "KEY_CONTEXT_MENU", "KEY_SETUP",
    "KEY_MENU", "KEY_FAVORITES", "KEY_EXIT", "KEY_MEDIA_TOP_MENU", "KEY_DIGITS", "KEY_NUMERIC_11",
    "KEY_NUMERIC_12", *(f"KEY_NUMERIC_{n}" for n in range(10)), "KEY_DOT", "KEY_ENTER", "KEY_CLEAR",
    "KEY_NEXT_FAVORITE", "KEY_CHANNELUP", "KEY_CHANNELDOWN", "KEY_PREVIOUS", "KEY_SOUND", "KEY_VIDEO",
    "KEY_INFO", "KEY_HELP", "KEY_PAGEUP", "KEY_PAGEDOWN", "KEY_POWER", "KEY_VOLUMEUP", "KEY_VOLUMEDOWN",
    "KEY_MUTE", "KEY_PLAYCD", "KEY_STOPCD", "KEY_PAUSECD", "KEY_RECORD", "KEY_REWIND", "KEY_FASTFORWARD",
    "KEY_EJECTCD", "KEY_FORWARD", "KEY_BACK", "KEY_STOP_RECORD", "KEY_PAUSE_RECORD", "KEY_ANGLE", "KEY_TV2",
    "KEY_VOD", "KEY_EPG", "KEY_TIME", "KEY_CONFIG", "KEY_AUDIO_DESC", "KEY_WWW", "KEY_3D_MODE", "KEY_SLOW",
    "KEY_FASTREVERSE", "KEY_SLOWREVERSE", "KEY_PLAYPAUSE", "KEY_UNMUTE", "KEY_SLEEP", "KEY_WAKEUP",
    "KEY_BLUE", "KEY_RED", "KEY_GREEN", "KEY_YELLOW", "KEY_F5", "KEY_DATA",
})

# A keyboard to the combo reader: it can type (the same test as udev's input_id, reduced to
# keys every keyboard has), so media-key nodes and power buttons are left alone.
KEYBOARD_KEYS = ("KEY_A", "KEY_ENTER", "KEY_SPACE")


def _codes() -> Mapping[str, int]:
    from evdev import ecodes  # only configs with keyboard or remote combos need the table

    return {name: code for name, code in ecodes.ecodes.items() if name.startswith("KEY_")}


def key_name(code: int) -> str:
    """The one name a key code goes by in combos (evdev lists aliases; take the first)."""
    from evdev import ecodes

    names = ecodes.KEY.get(code)
    if names is None:
        return f"KEY_{code:#x}"
    if isinstance(names, str):
        return names
    ranked = sorted(names, key=lambda n: (n not in RC_CEC_KEYS, n.startswith(("KEY_MIN_", "KEY_MAX")), n))
    return ranked[0]


def resolve_key(name: str, remote: bool) -> str:
    """Config name → canonical key name; ValueError with a did-you-mean hint."""
    upper = name.upper()
    upper = upper if upper.startswith("KEY_") else f"KEY_{upper}"
    codes = _codes()
    if upper not in codes:
        raise ValueError(suggest(name, list(RC_CEC_KEYS if remote else codes)))
    canonical = key_name(codes[upper])
    if remote and canonical not in RC_CEC_KEYS and upper not in RC_CEC_KEYS:
        raise ValueError(f"a CEC remote cannot send {upper}; it sends e.g. KEY_RED, KEY_GREEN, KEY_MENU, KEY_EXIT")
    return canonical


def is_keyboard(keys: Sequence[int]) -> bool:
    codes = _codes()
    present = set(keys)
    return all(codes[name] in present for name in KEYBOARD_KEYS)
