"""Emulated input devices for umockdev, built from tests/fixtures/input/*.json.

Each JSON file is a real controller's capability set (name, ids, keys, axis ranges, force
feedback). From it we write what the kernel would show: the sysfs tree with the
capabilities/* bitmaps (so udev's input_id builtin classifies it for real), the udev
properties, and the exact evdev ioctl answers python-evdev asks for. umockdev matches an
ioctl by its full request code, whose size field comes from the length of the data, so each
size python-evdev uses gets its own line.

Importable only inside a process started under umockdev-wrapper (LD_PRELOAD).
"""

from __future__ import annotations

import json
import os
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evdev import ecodes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "input"
EV_TYPES = {"keys": ecodes.EV_KEY, "abs": ecodes.EV_ABS, "ff": ecodes.EV_FF}
OTHER_TYPES = (ecodes.EV_REL, ecodes.EV_MSC, ecodes.EV_SW, ecodes.EV_LED, ecodes.EV_SND,
               ecodes.EV_REP, ecodes.EV_PWR, ecodes.EV_FF_STATUS)
INPUT_EVENT = struct.Struct("llHHi")
NUL = b"\0"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def codes(names: list[str]) -> list[int]:
    return [ecodes.ecodes[n] for n in names]


def bitmask(bits: list[int], size: int) -> bytes:
    mask = bytearray(size)
    for bit in bits:
        mask[bit // 8] |= 1 << (bit % 8)
    return bytes(mask)


def sysfs_bitmap(bits: list[int]) -> str:
    """The kernel's text form: 64-bit words, most significant first, no leading zero words."""
    words = [0] * (max(bits, default=0) // 64 + 1)
    for bit in bits:
        words[bit // 64] |= 1 << (bit % 64)
    while len(words) > 1 and words[-1] == 0:
        words.pop()
    return " ".join(f"{w:x}" for w in reversed(words))


def event_types(desc: dict[str, Any]) -> list[int]:
    types = [ecodes.EV_SYN] + [t for key, t in EV_TYPES.items() if desc[key]]
    return sorted(types)


def ioctl_text(desc: dict[str, Any]) -> str:
    keys, axes, ff = codes(desc["keys"]), codes(list(desc["abs"])), codes(desc["ff"])
    props = codes(desc["props"])
    name = desc["name"].encode().ljust(256, NUL)
    phys = desc["phys"].encode().ljust(256, NUL)
    lines = [
        f"EVIOCGID 0 {struct.pack('4H', desc['bus'], desc['vendor'], desc['product'], desc['version']).hex()}",
        "EVIOCGVERSION 0 01000100",
        f"EVIOCGBIT(0) 4 {bitmask(event_types(desc), 4).hex()}",
        f"EVIOCGBIT(0) 96 {bitmask(event_types(desc), 96).hex()}",
        f"EVIOCGBIT({ecodes.EV_KEY}) 96 {bitmask(keys, 96).hex()}",
        f"EVIOCGBIT({ecodes.EV_ABS}) 96 {bitmask(axes, 96).hex()}",
        f"EVIOCGBIT({ecodes.EV_FF}) 96 {bitmask(ff, 96).hex()}",
        *(f"EVIOCGBIT({t}) 96 {bytes(96).hex()}" for t in OTHER_TYPES),
        # "(0)": for these umockdev adds the number in parentheses to the request code.
        f"EVIOCGNAME(0) {len(desc['name']) + 1} {name.hex()}",
        f"EVIOCGPHYS(0) {len(desc['phys']) + 1} {phys.hex()}",
        f"EVIOCGUNIQ(0) 1 {bytes(256).hex()}",
        f"EVIOCGPROP(0) 4 {bitmask(props, 4).hex()}",
        f"EVIOCGKEY(0) 96 {bytes(96).hex()}",
        f"EVIOCGLED(0) 2 {bytes(2).hex()}",
        f"EVIOCGEFFECTS 0 {struct.pack('i', desc['ff_effects']).hex()}",
    ]
    for axis, values in zip(axes, desc["abs"].values(), strict=True):
        low, high, fuzz, flat = values
        lines.append(f"EVIOCGABS({axis}) 0 {struct.pack('6i', 0, low, high, fuzz, flat, 0).hex()}")
    return "\n".join(lines) + "\n"


def umockdev_text(desc: dict[str, Any], number: int) -> str:
    parent = f"/devices/pci0000:00/0000:00:14.0/usb1/1-{number}/1-{number}:1.0/input/input{number}"
    caps = {"ev": event_types(desc), "key": codes(desc["keys"]), "abs": codes(list(desc["abs"])),
            "ff": codes(desc["ff"]), "rel": [], "msc": [], "sw": [], "led": [], "snd": []}
    event = [f"P: {parent}/event{number}", f"N: input/event{number}",
             f"E: DEVNAME=/dev/input/event{number}", "E: SUBSYSTEM=input",
             "E: MAJOR=13", f"E: MINOR={64 + number}", f"A: dev=13:{64 + number}",
             *(f"E: {key}={value}" for key, value in desc["udev"].items()), "L: device=../../input" + str(number)]
    product = f"{desc['bus']:x}/{desc['vendor']:x}/{desc['product']:x}/{desc['version']:x}"
    node = [f"P: {parent}", "E: SUBSYSTEM=input", f"E: PRODUCT={product}",
            f'E: NAME="{desc["name"]}"', f"A: name={desc['name']}", f"A: phys={desc['phys']}",
            f"A: properties={sysfs_bitmap(codes(desc['props']))}",
            f"A: id/bustype={desc['bus']:04x}", f"A: id/vendor={desc['vendor']:04x}",
            f"A: id/product={desc['product']:04x}", f"A: id/version={desc['version']:04x}",
            *(f"A: capabilities/{kind}={sysfs_bitmap(bits)}" for kind, bits in caps.items())]
    return "\n".join(event) + "\n\n" + "\n".join(node) + "\n"


@dataclass
class Plugged:
    name: str
    number: int
    syspath: str
    devnode: str


class Rig:
    """A umockdev Testbed with controllers plugged in and out, and events typed on them."""

    def __init__(self, workdir: Path) -> None:
        import gi

        gi.require_version("UMockdev", "1.0")
        from gi.repository import UMockdev

        self.testbed = UMockdev.Testbed.new()
        # The Testbed sets UMOCKDEV_DIR with C setenv(), which os.environ never sees; children
        # started with an explicit env (the daemon) need it to share this testbed.
        os.environ["UMOCKDEV_DIR"] = self.testbed.get_root_dir()
        self.workdir = workdir

    def plug(self, fixture: str, number: int) -> Plugged:
        desc = load(fixture)
        ioctl = self.workdir / f"{fixture}-{number}.ioctl"
        ioctl.write_text(ioctl_text(desc))
        self.testbed.add_from_string(umockdev_text(desc, number))
        devnode = f"/dev/input/event{number}"
        self.testbed.load_ioctl(devnode, str(ioctl))
        parent = f"/sys/devices/pci0000:00/0000:00:14.0/usb1/1-{number}/1-{number}:1.0/input/input{number}"
        return Plugged(desc["name"], number, f"{parent}/event{number}", devnode)

    def unplug(self, device: Plugged) -> None:
        """remove_device() sends no uevent (umockdev 0.17), so announce the remove first."""
        self.testbed.uevent(device.syspath, "remove")
        self.testbed.remove_device(device.syspath)

    def send(self, device: Plugged, events: list[tuple[int, int, int]]) -> None:
        """Write raw input_event structs, each batch ended by SYN_REPORT, as the kernel does."""
        now = time.time()
        sec, usec = int(now), int((now % 1) * 1e6)
        data = b"".join(INPUT_EVENT.pack(sec, usec, t, c, v) for t, c, v in events)
        data += INPUT_EVENT.pack(sec, usec, ecodes.EV_SYN, ecodes.SYN_REPORT, 0)
        os.write(self.testbed.get_dev_fd(device.devnode), data)
