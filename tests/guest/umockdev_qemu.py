"""An emulated evdev keyboard that QEMU itself opens: umockdev preloaded into QEMU only.

The Testbed lives in the test process (which is not preloaded: creating devices needs no
preload, only the processes that open them do). libvirt gives QEMU a cleared environment, so
the preload and the testbed's directory go in as the domain's `<qemu:env>` (`qemu_env`): the
emulator stays the plain QEMU, whose capabilities libvirt probed once, where an `<emulator>`
wrapper in a new temp dir each run was probed again (half a minute on a loaded machine).
QEMU 7.2's input-linux asks EVIOCGVERSION, EVIOCGBIT(0) with one
byte, EVIOCGBIT(EV_KEY) and EVIOCGKEY with 96 bytes, then EVIOCGRAB.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.append(str(Path(__file__).resolve().parent.parent / "integration"))
import umockdev_devices as devices  # noqa: E402  (beside the other umockdev tests)

PRELOAD = "libumockdev-preload.so.0"


@dataclass
class EmulatedKeyboard:
    testbed: Any
    devnode: str
    env: dict[str, str]  # QEMU's environment: EmbeddedVm(qemu_env=...)

    def type_key(self, code: int) -> None:
        """Press and release, as the kernel reports them (each ended by SYN_REPORT), in one
        write: the guest gets both at once, before its own key repeat could start."""
        from evdev import ecodes

        events = [(ecodes.EV_KEY, code, 1), (ecodes.EV_SYN, ecodes.SYN_REPORT, 0), (ecodes.EV_KEY, code, 0)]
        devices.Rig.send(SimpleNamespace(testbed=self.testbed), SimpleNamespace(devnode=self.devnode), events)


def ioctls_for_qemu(desc: dict[str, Any]) -> str:
    """python-evdev's answers plus the one-byte event-type map QEMU's input-linux reads."""
    return devices.ioctl_text(desc) + f"EVIOCGBIT(0) 1 {devices.bitmask(devices.event_types(desc), 1).hex()}\n"


def qemu_env(testbed: Any) -> dict[str, str]:
    return {"LD_PRELOAD": PRELOAD, "UMOCKDEV_DIR": str(testbed.get_root_dir())}


def emulated_keyboard(workdir: Path, number: int, devnode: str) -> EmulatedKeyboard:
    """The keyboard appears to QEMU at `devnode`, a path that must also exist on the host:
    libvirt >= 10.4 attaches evdev inputs itself and first checks the path in its own process,
    which is not preloaded (and this machine has no /dev/input). A node every Linux has, shadowed
    by umockdev for QEMU alone, passes that check while QEMU talks to the emulated keyboard."""
    import gi

    gi.require_version("UMockdev", "1.0")
    from gi.repository import UMockdev

    testbed = UMockdev.Testbed.new()
    desc = devices.load("keyboard")
    ioctl = workdir / f"keyboard-{number}.ioctl"
    ioctl.write_text(ioctls_for_qemu(desc))
    text = devices.umockdev_text(desc, number)
    text = text.replace(f"N: input/event{number}", f"N: {devnode.removeprefix('/dev/')}")
    text = text.replace(f"DEVNAME=/dev/input/event{number}", f"DEVNAME={devnode}")
    testbed.add_from_string(text)
    testbed.load_ioctl(devnode, str(ioctl))
    return EmulatedKeyboard(testbed, devnode, qemu_env(testbed))
