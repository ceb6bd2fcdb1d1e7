"""`modeswitch pads --capture FILE`: what the pads in a usbmon capture said, button by button."""

from __future__ import annotations

import argparse
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
    if device.adapter is not None:
        return _adapter_lines(device, head, start)
    if device.protocol is None:
        sizes = ", ".join(str(s) for s in sorted(device.sizes))
        return [head + f"protocol not recognised ({device.reports} report(s) of {sizes} bytes; "
                f"first: {device.first[:32].hex(' ')})"]
    lines = [head + f"{device.protocol} (from the {device.how}), {device.reports} report(s), "
             f"{len(device.changes)} button change(s)"]
    lines += _change_lines(device.changes, start, "  ")
    lines += [f"  bad report at {error}" for error in device.errors[:20]]
    return lines


def _adapter_lines(device: DeviceReport, head: str, start: float) -> list[str]:
    """An adapter: one block per pad behind it, each with its own button changes."""
    lines = [head + f"{device.adapter} (from the {device.how}), {device.reports} transfer(s), "
             f"{len(device.pads)} pad(s) behind it"]
    for pad in device.pads:
        changes = device.pad_changes.get(pad.ident, [])
        lines.append(f"  pad {pad.ident}: {pad.protocol} ({pad.link}; found by {pad.how}), "
                     f"{pad.reports} report(s), {len(changes)} button change(s)")
        lines += _change_lines(changes, start, "    ")
    if not device.pads:
        sizes = ", ".join(str(s) for s in sorted(device.sizes))
        lines.append(f"  no pad recognised behind it (transfers of {sizes} bytes)")
    lines += [f"  at {error}" for error in device.errors[:20]]
    return lines


def _change_lines(changes: list[tuple[float, str, int]], start: float, indent: str) -> list[str]:
    lines = []
    for when, button, value in changes:
        name = FRIENDLY.get(button, button)
        lines.append(f"{indent}{when:.6f} (+{when - start:.3f}s)  {'press' if value else 'release'}  {name} ({button})")
    return lines


def command(args: argparse.Namespace) -> int:
    """`modeswitch pads --capture FILE`."""
    print("\n".join(capture_lines(Path(args.capture))))
    return 0
