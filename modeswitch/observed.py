"""Pure questions about observed data, asked both by the planner and by the backends.

They live apart from the planner so that a backend never imports planning code.
"""

from __future__ import annotations

from collections.abc import Iterable

from modeswitch.parts.audio.spec import Sink
from modeswitch.parts.display.spec import DisplayObservation, OutputSetting
from modeswitch.parts.usb.spec import UsbDevice


def describe_host_usb(devices: Iterable[UsbDevice]) -> str:
    listed = [f"{d.vendor:04x}:{d.product:04x} {d.name or '?'} (port {d.port})" for d in devices]
    return "present: " + ("; ".join(listed) if listed else "no USB devices")


def describe_sinks(sinks: tuple[Sink, ...]) -> str:
    if not sinks:
        return "the server has no sinks"
    return "sinks: " + "; ".join(f"{s.name} ({s.description})" for s in sinks)


def satisfied(wanted: OutputSetting, seen: OutputSetting | None) -> bool:
    """Whether the observed output already is as the mode wants it.

    `primary: false` cannot be told apart from an unset `primary` in a mode, and X has no way
    to make an output "not primary" short of making another one primary, so only a wanted
    primary is checked. A disabled output's mode and position do not matter.
    """
    if seen is None:
        return False
    if not wanted.enabled:
        return not seen.enabled
    return (
        seen.enabled
        and (wanted.mode is None or wanted.mode == seen.mode)
        and (wanted.right_of is None or wanted.right_of == seen.right_of)
        and (not wanted.primary or seen.primary)
    )


def unknown_outputs(wanted: Iterable[OutputSetting], seen: DisplayObservation) -> list[str]:
    """Names a layout refers to (as an output or as `right_of`) that the X server lacks.

    xrandr only warns about an unknown output and then applies the rest, so a typo must be
    caught before anything runs.
    """
    known = {o.output for o in seen.outputs}
    named = [name for o in wanted for name in (o.output, o.right_of) if name is not None]
    return sorted({name for name in named if name not in known})
