"""A mode's `keys` reach the guest's keyboard: libvirt's virDomainSendKey (Linux key codes)
makes QEMU press them on the guest's AT keyboard, and the guest's own evdev node shows the
presses in the listed order, held for `hold`, then the releases. No agent is involved in
sending them; the agent only reads the guest's input node back for the test."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

from conftest import BootedGuest
from evdev import ecodes
from support.loop import run

from modeswitch.config.loader import Config
from modeswitch.core.history import HistoryLog
from modeswitch.core.seat import BackendSet, Seat
from modeswitch.model import Mode
from modeswitch.parts.guest.backend import GuestActions
from modeswitch.parts.guest.spec import GuestKeys, KeyChord
from modeswitch.parts.hooks.backend import HookRunner
from modeswitch.parts.vm.spec import VmPower

INPUT_EVENT_SIZE = 24
EVENTS = "/tmp/hotkey-events"
FIND_KEYBOARD = ("for d in /sys/class/input/event*; do "
                 "[ \"$(cat $d/device/name)\" = 'AT Translated Set 2 keyboard' ] && echo /dev/input/${d##*/}; done")
CHORD = ("KEY_LEFTCTRL", "KEY_LEFTSHIFT", "KEY_Q")
HOLD = 0.1  # QEMU waits this long after each press and each release (releases in reverse)


def _events(raw: bytes) -> list[tuple[float, int, int, int]]:
    """struct input_event on x86-64: timeval (2 × 8 bytes), type, code (u16), value (s32)."""
    found = []
    for at in range(0, len(raw) - INPUT_EVENT_SIZE + 1, INPUT_EVENT_SIZE):
        chunk = raw[at:at + INPUT_EVENT_SIZE]
        seconds = int.from_bytes(chunk[0:8], "little") + int.from_bytes(chunk[8:16], "little") / 1e6
        found.append((seconds, int.from_bytes(chunk[16:18], "little"), int.from_bytes(chunk[18:20], "little"),
                      int.from_bytes(chunk[20:24], "little", signed=True)))
    return found


async def _read_events(booted_guest: BootedGuest) -> bytes:
    agent = booted_guest.agent
    handle = await agent.command("guest-file-open", {"path": EVENTS, "mode": "r"}, 10)
    try:
        reply = await agent.command("guest-file-read", {"handle": handle, "count": 65536}, 10)
    finally:
        await agent.command("guest-file-close", {"handle": handle}, 10)
    return base64.b64decode(reply.get("buf-b64") or "")


async def _typed(booted_guest: BootedGuest, seat: Seat) -> list[tuple[float, int, int, int]]:
    """Start a reader of the guest's keyboard, switch, and return the key events it saw."""
    agent = booted_guest.agent
    node = (await agent.run(["sh", "-c", FIND_KEYBOARD], 30)).stdout.strip()
    assert node.startswith("/dev/input/event"), node
    reader = await agent.start(["sh", "-c", f"exec 3<{node}; touch {EVENTS}.ready; cat <&3 > {EVENTS}"], 30)
    try:
        while (await agent.run(["test", "-e", f"{EVENTS}.ready"], 30)).exit_code != 0:
            await asyncio.sleep(0.05)
        result = await seat.switch("tv", "test", current="idle", state=await seat.observe())
        assert result.ok, result.error
        keys: list[tuple[float, int, int, int]] = []
        for _ in range(200):  # the releases come `hold` after the presses, through the guest's queue
            keys = [e for e in _events(await _read_events(booted_guest)) if e[1] == ecodes.EV_KEY]
            if sum(1 for e in keys if e[3] == 0) >= len(CHORD):
                break
            await asyncio.sleep(0.05)
        return keys
    finally:
        await agent.run(["kill", str(reader)], 30)
        await agent.run(["rm", "-f", EVENTS, f"{EVENTS}.ready"], 30)


def test_keys_arrive_on_the_guest_keyboard_in_order_with_the_hold(booted_guest: BootedGuest, tmp_path: Path) -> None:
    chord = KeyChord(CHORD, tuple(ecodes.ecodes[name] for name in CHORD))
    tv = Mode("tv", vm=VmPower.RUNNING, guest=(GuestKeys(chord, HOLD),))
    idle = Mode("idle", vm=VmPower.RUNNING)
    backends = BackendSet(hooks=HookRunner(), vm=booted_guest.backend, guest=GuestActions(booted_guest.agent))
    seat = Seat(Config(path=tmp_path / "c.yaml", modes={"idle": idle, "tv": tv}, step_timeout=30.0), backends,
                HistoryLog(tmp_path / "history.jsonl"))
    keys = run(_typed(booted_guest, seat))
    codes = list(chord.codes)
    presses = [(code, at) for at, _, code, value in keys if value == 1]
    releases = [(code, at) for at, _, code, value in keys if value == 0]
    assert [code for code, _ in presses] == codes
    assert sorted(code for code, _ in releases) == sorted(codes)
    last_press, first_release = presses[-1][1], min(at for _, at in releases)
    assert last_press < first_release
    assert first_release - last_press >= HOLD * 0.9, (presses, releases)  # the guest's own clock
