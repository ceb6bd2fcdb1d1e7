"""Scenarios run inside `umockdev-wrapper`: real python-evdev and pyudev on emulated pads.

Usage: umockdev-wrapper PYTHON umockdev_scenarios.py SCENARIO WORKDIR
Prints one JSON object on the last stdout line; test_umockdev_pads.py asserts on it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evdev import ecodes as e
from support.waiting import until
from umockdev_devices import Plugged, Rig

from modeswitch.model import ComboSource, ComboSpec, HotplugRule
from modeswitch.triggers.gamepads import GamepadTriggers

SELECT_START = ComboSpec(buttons=("BTN_SELECT", "BTN_START"), action="toggle")
TRIGGERS_HELD = ComboSpec(buttons=("BTN_TL2", "BTN_TR2", "BTN_DPAD_DOWN"), action="tv", hold=0.3)
WAIT = 10.0


class Recorder:
    """Requester + SeatView: records requests and wakes whoever waits for the next one."""

    def __init__(self) -> None:
        self.requests: list[list[str]] = []
        self.changed = asyncio.Event()

    def request(self, action: str, source: str) -> None:
        self.requests.append([action, source])
        self.changed.set()

    def current_mode(self) -> str | None:
        return "desk"

    def vm_running(self) -> bool:
        return True

    async def next_request(self, count: int) -> bool:
        while len(self.requests) < count:
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), WAIT)
            except TimeoutError:
                return False
        return True


class Problems(logging.Handler):
    """Every warning or error any component logs ends up in the scenario's result."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(f"{record.levelname} {record.name}: {record.getMessage()}")


def noise(axis: int, count: int) -> list[tuple[int, int, int]]:
    """Stick jitter between the presses, the way a held pad streams it."""
    return [(e.EV_ABS, axis, (i * 997) % 2000 - 1000) for i in range(count)]


def press(*codes: int, value: int = 1) -> list[tuple[int, int, int]]:
    return [(e.EV_KEY, code, value) for code in codes]


async def reached(predicate: Callable[[], bool]) -> bool:
    """Whether the loop gets to a state by itself (a reader attached or ended): the scenario
    reports it, and the test outside says what it expected."""
    try:
        await until(predicate, "the triggers to follow the device", WAIT)
    except AssertionError:
        return False
    return True


async def select_start(rig: Rig, pad: Plugged) -> None:
    rig.send(pad, press(e.BTN_SELECT) + noise(e.ABS_X, 40))
    rig.send(pad, noise(e.ABS_RY, 40) + press(e.BTN_START))
    rig.send(pad, press(e.BTN_SELECT, e.BTN_START, value=0))


async def combos(rig: Rig, recorder: Recorder) -> dict[str, Any]:
    """Every layout at once; each pad plays select+start; the DualSense also holds triggers."""
    names = ["xpad-360", "xpadneo", "dualsense", "dualsense-touchpad", "dualsense-motion",
             "switch-pro", "keyboard"]
    plugged = {name: rig.plug(name, number) for number, name in enumerate(names, start=3)}
    triggers = GamepadTriggers([SELECT_START, TRIGGERS_HELD], [], 0.5, recorder, recorder)
    await triggers.start()
    result: dict[str, Any] = {"pads": sorted(p.name for p in triggers.pads)}
    try:
        for count, name in enumerate(["xpad-360", "xpadneo", "dualsense", "switch-pro"], start=1):
            await select_start(rig, plugged[name])
            await recorder.next_request(count)
        touch = plugged["dualsense-touchpad"]
        rig.send(touch, press(e.BTN_LEFT, e.BTN_TOUCH) + [(e.EV_ABS, e.ABS_X, 900)])
        ds = plugged["dualsense"]
        rig.send(ds, [(e.EV_ABS, e.ABS_HAT0Y, 1), (e.EV_ABS, e.ABS_Z, 90), (e.EV_ABS, e.ABS_RZ, 250)])
        rig.send(ds, noise(e.ABS_X, 50) + [(e.EV_ABS, e.ABS_Z, 200)])
        result["held_fired"] = await recorder.next_request(5)
    finally:
        await triggers.stop()
    result["pads_after_stop"] = len(triggers.pads)
    return result


async def hotplug(rig: Rig, recorder: Recorder) -> dict[str, Any]:
    """A pad plugged in while running, a reconnect storm, its combo, then unplugged."""
    rule = HotplugRule(mode="tv", debounce=2.0)
    keyboard = rig.plug("keyboard", 3)
    triggers = GamepadTriggers([SELECT_START], [rule], 0.5, recorder, recorder)
    await triggers.start()
    result: dict[str, Any] = {"pads_at_start": len(triggers.pads)}
    try:
        pad = rig.plug("xpadneo", 4)
        result["picked_up"] = await reached(lambda: len(triggers.pads) == 1)
        result["connect_fired"] = await recorder.next_request(1)
        for number in (5, 6, 7):  # drops and comes back (as a new node) within the debounce
            rig.unplug(pad)
            await reached(lambda: not triggers.pads)
            pad = rig.plug("xpadneo", number)
            await reached(lambda: len(triggers.pads) == 1)
        result["after_storm"] = len(recorder.requests)
        await select_start(rig, pad)
        result["combo_after_replug"] = await recorder.next_request(2)
        rig.unplug(pad)
        result["reader_ended"] = await reached(lambda: not triggers.pads)
        rig.unplug(keyboard)
        await asyncio.sleep(0.1)
    finally:
        await triggers.stop()
    return result


REMOTE_RED = ComboSpec(buttons=("KEY_RED",), action="desk", source=ComboSource.REMOTE)
REMOTE_UP_DOWN = ComboSpec(buttons=("KEY_UP", "KEY_DOWN"), action="tv", source=ComboSource.REMOTE)
KEYBOARD_CHORD = ComboSpec(buttons=("KEY_LEFTCTRL", "KEY_LEFTALT", "KEY_F12"), action="toggle",
                           source=ComboSource.KEYBOARD)


async def keys(rig: Rig, recorder: Recorder) -> dict[str, Any]:
    """A CEC remote, a keyboard and a pad through the same triggers; each source fires only
    its own combos (the keyboard's arrows do not complete the remote's up+down)."""
    remote, keyboard = rig.plug("cec-remote", 3), rig.plug("desk-keyboard", 4)
    pad, plain = rig.plug("xpad-360", 5), rig.plug("dualsense-touchpad", 6)
    triggers = GamepadTriggers([SELECT_START, REMOTE_RED, REMOTE_UP_DOWN, KEYBOARD_CHORD], [], 0.5,
                               recorder, recorder)
    await triggers.start()
    result: dict[str, Any] = {"pads": sorted(p.name for p in triggers.pads)}
    try:
        rig.send(keyboard, press(e.KEY_UP, e.KEY_DOWN))
        rig.send(keyboard, press(e.KEY_UP, e.KEY_DOWN, value=0))
        rig.send(remote, press(e.KEY_RED) + [(e.EV_KEY, e.KEY_RED, 2)])  # held: autorepeat
        rig.send(remote, press(e.KEY_RED, value=0))
        result["remote_fired"] = await recorder.next_request(1)
        rig.send(keyboard, press(e.KEY_LEFTCTRL))
        rig.send(keyboard, press(e.KEY_LEFTALT))
        rig.send(keyboard, press(e.KEY_F12))
        rig.send(keyboard, press(e.KEY_F12, e.KEY_LEFTALT, e.KEY_LEFTCTRL, value=0))
        result["keyboard_fired"] = await recorder.next_request(2)
        rig.send(plain, press(e.BTN_LEFT))
        await select_start(rig, pad)
        result["pad_fired"] = await recorder.next_request(3)
        rig.send(remote, press(e.KEY_UP, e.KEY_DOWN))
        result["remote_chord_fired"] = await recorder.next_request(4)
    finally:
        await triggers.stop()
    return result


SCENARIOS = {"combos": combos, "hotplug": hotplug, "keys": keys}


async def main(name: str, workdir: Path) -> dict[str, Any]:
    rig = Rig(workdir)  # first: the Testbed must exist before anything asks umockdev
    recorder = Recorder()
    problems = Problems()
    logging.getLogger().addHandler(problems)
    result = await SCENARIOS[name](rig, recorder)
    result["requests"] = recorder.requests
    result["problems"] = problems.seen
    return result


if __name__ == "__main__":
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    print(json.dumps(asyncio.run(main(sys.argv[1], Path(sys.argv[2])))))
