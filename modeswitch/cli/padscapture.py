"""`modeswitch pads --capture FILE`: what the pads in a usbmon capture said, button by button."""

from __future__ import annotations

from pathlib import Path

from modeswitch.buttons import CANONICAL
from modeswitch.errors import CaptureError
from modeswitch.usbmon.capture import DeviceReport, decode_capture, read_capture

FRIENDLY = {code: name for name, code in CANONICAL.items()}


def capture_lines(path: Path) -> list[str]:
    """Raises CaptureError (one line) for a file that cannot be read or decoded."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CaptureError(f"{path}: {exc.strerror}") from None
    devices = decode_capture(read_capture(data, str(path)))
    if not devices:
        return [f"{path}: no IN reports from any device"]
    start = min((c[0] for d in devices for c in d.changes), default=0.0)
    lines: list[str] = []
    for device in devices:
        lines += _device_lines(device, start)
    return lines


def _device_lines(device: DeviceReport, start: float) -> list[str]:
    known = device.vendor is not None and device.product is not None
    ids = f" {device.vendor:04x}:{device.product:04x}" if known else ""
    head = f"bus {device.bus} device {device.device}{ids}: "
    if device.protocol is None:
        sizes = ", ".join(str(s) for s in sorted(device.sizes))
        return [head + f"protocol not recognised ({device.reports} report(s) of {sizes} bytes; "
                f"first: {device.first[:32].hex(' ')})"]
    lines = [head + f"{device.protocol} (from the {device.how}), {device.reports} report(s), "
             f"{len(device.changes)} button change(s)"]
    for when, button, value in device.changes:
        name = FRIENDLY.get(button, button)
        lines.append(f"  {when:.6f} (+{when - start:.3f}s)  {'press' if value else 'release'}  {name} ({button})")
    lines += [f"  bad report at {error}" for error in device.errors[:20]]
    return lines
