"""What this machine has: libvirt domains, input devices, pads, sinks, Looking Glass.

Every lookup that fails becomes a line in `missing` (what could not be found, and why), never
an exception: init still writes valid modes on a machine with nothing to find.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field

from modeswitch.doctor.domain import DomainFacts
from modeswitch.doctor.roots import Roots
from modeswitch.parts.audio.spec import AudioObservation, Card, Sink
from modeswitch.parts.usb.spec import UsbDevice
from modeswitch.parts.usb.sysfs import SysfsUsbInventory


@dataclass(frozen=True)
class Discovery:
    uri: str
    domains: tuple[DomainFacts, ...] = ()
    running: tuple[str, ...] = ()
    keyboards: tuple[str, ...] = ()  # /dev/input/by-id/… paths
    mice: tuple[str, ...] = ()
    pads: tuple[UsbDevice, ...] = ()
    pad_inputs: tuple[str, ...] = ()  # /dev/input/by-id/…-event-joystick
    sinks: tuple[Sink, ...] = ()
    cards: tuple[Card, ...] = ()
    sound_server: str | None = None
    looking_glass: str | None = None  # path of looking-glass-client
    missing: tuple[str, ...] = field(default_factory=tuple)


def input_devices(roots: Roots, suffix: str) -> tuple[str, ...]:
    """Stable by-id names; the main interface (no -ifNN-) of a device first."""
    by_id = roots.dev / "input" / "by-id"
    names = sorted(p.name for p in by_id.glob(f"*{suffix}")) if by_id.is_dir() else []
    names.sort(key=lambda name: "-if0" in name)
    return tuple(f"/dev/input/by-id/{name}" for name in names)


async def discover(roots: Roots, uri: str, sound_server: str | None) -> Discovery:
    from modeswitch.doctor.probes import probe_audio, probe_domains

    missing: list[str] = []
    domains, running, error = await probe_domains(uri)
    if error:
        missing.append(f"libvirt domains: {error}")
    elif not domains:
        missing.append(f"libvirt domains: none defined at {uri}")
    keyboards, mice = input_devices(roots, "-event-kbd"), input_devices(roots, "-event-mouse")
    for what, found in (("keyboard", keyboards), ("mouse", mice)):
        if not found:
            missing.append(f"{what}: nothing in {roots.dev}/input/by-id")
    pads = tuple(d for d in SysfsUsbInventory(roots.sys / "bus" / "usb" / "devices").scan() if d.kind == "gamepad")
    if not pads:
        missing.append(f"gamepads: none plugged in ({roots.sys}/bus/usb/devices)")
    audio = await probe_audio(sound_server)
    if not audio.connected:
        missing.append(f"sinks: {audio.error}")
    viewer = shutil.which("looking-glass-client", path=roots.path)
    if viewer is None:
        missing.append("looking-glass-client: not on PATH")
    return Discovery(uri=uri, domains=tuple(domains), running=tuple(running), keyboards=keyboards, mice=mice,
                     pads=pads, pad_inputs=input_devices(roots, "-event-joystick"), sinks=_sinks(audio),
                     cards=audio.cards, sound_server=audio.server if audio.connected else None,
                     looking_glass=viewer, missing=tuple(missing))


def _sinks(audio: AudioObservation) -> tuple[Sink, ...]:
    return audio.sinks if audio.connected else ()
