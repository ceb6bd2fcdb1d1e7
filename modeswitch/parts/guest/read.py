"""Reads a mode file's `guest` part: GuestAction / GuestKeys, every error at file:line:col.

An entry is either a program (`argv`, run through the agent, as the agent or in the logged-in
user's session) or a hotkey (`keys`, typed on the guest's keyboard through libvirt).
"""

from __future__ import annotations

from modeswitch.config.yamlnodes import Node
from modeswitch.parts.guest.spec import GuestAction, GuestEntry, GuestKeys, GuestSession, KeyChord
from modeswitch.suggest import suggest

# virDomainSendKey takes at most VIR_DOMAIN_SEND_KEY_MAX_KEYS codes at once.
MAX_KEYS = 16
ACTION_KEYS = {"argv", "timeout", "undo", "session", "user"}
HOTKEY_KEYS = {"keys", "hold", "undo"}


def read_guest(node: Node) -> tuple[GuestEntry, ...]:
    return tuple(read_guest_entry(item) for item in node.items())


def read_guest_entry(node: Node) -> GuestEntry:
    keys = node.mapping(ACTION_KEYS | HOTKEY_KEYS)
    if "keys" not in keys and "argv" not in keys:
        raise node.error("a guest entry needs 'argv' (a program) or 'keys' (a hotkey)",
                         r"e.g. {argv: ['C:\Tools\MultiMonitorTool.exe', /SetPrimary, '\\.\DISPLAY1'], "
                         "session: user} or {keys: [KEY_LEFTCTRL, KEY_LEFTALT, KEY_F11]}")
    if "keys" in keys:
        if "argv" in keys:
            raise keys["keys"].error("a guest entry is either a program (argv) or keys, not both",
                                     "make them two entries")
        return read_guest_keys(node)
    return read_guest_action(node)


def read_guest_action(node: Node) -> GuestAction:
    keys = node.mapping(ACTION_KEYS)
    if "argv" not in keys:
        raise node.error("a guest action needs 'argv'", r"e.g. {argv: ['C:\Tools\MultiMonitorTool.exe', /enable]}")
    session = _read_session(keys["session"]) if "session" in keys else None
    user = keys["user"].string().strip() if "user" in keys else None
    if user is not None and session is GuestSession.SYSTEM:
        raise keys["user"].error("'user' runs the program in that user's session", "write session: user")
    if user == "":
        raise keys["user"].error("'user' is empty", "a user name as the guest knows it, e.g. player or PC\\player")
    return GuestAction(
        argv=keys["argv"].argv(),
        timeout=keys["timeout"].number(0.1, 3600) if "timeout" in keys else 30.0,
        undo=keys["undo"].argv() if "undo" in keys else None,
        session=session or (GuestSession.USER if user else GuestSession.SYSTEM),
        user=user,
    )


def read_guest_keys(node: Node) -> GuestKeys:
    keys = node.mapping(HOTKEY_KEYS)
    return GuestKeys(
        keys=read_chord(keys["keys"]),
        # libvirt sends 0 as "QEMU's default", so a hold is always given
        hold=keys["hold"].number(0.001, 10.0) if "hold" in keys else 0.05,
        undo=read_chord(keys["undo"]) if "undo" in keys else None,
    )


def read_chord(node: Node) -> KeyChord:
    from evdev import ecodes

    from modeswitch.triggers.keys import resolve_key

    items = list(node.items())
    if not items:
        raise node.error("keys needs at least one key", "e.g. [KEY_LEFTCTRL, KEY_LEFTSHIFT, KEY_Q]")
    if len(items) > MAX_KEYS:
        raise items[MAX_KEYS].error(f"at most {MAX_KEYS} keys at once (libvirt's limit)")
    names = []
    for item in items:
        try:
            names.append(resolve_key(item.string(), remote=False))
        except ValueError as exc:
            raise item.error(f"unknown key '{item.string()}'", str(exc) or None) from None
    return KeyChord(tuple(names), tuple(int(ecodes.ecodes[name]) for name in names))


def _read_session(node: Node) -> GuestSession:
    value = node.string()
    try:
        return GuestSession(value)
    except ValueError:
        raise node.error(f"unknown session '{value}'", suggest(value, [s.value for s in GuestSession])) from None
