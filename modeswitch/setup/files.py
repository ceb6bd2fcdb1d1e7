"""The files init writes: config.yaml and modes/{tv,desk}.yaml, commented, naming what was
found; and writing them without ever replacing a file the user was not asked about."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from modeswitch.setup.propose import Proposal

HEADER = "# Written by `modeswitch init` from what it found on this machine; edit freely, then run\n" \
         "# `modeswitch check`. README.md has the full reference of every key.\n"


def _q(text: str) -> str:
    """A YAML scalar that survives any device name: JSON strings are YAML."""
    return json.dumps(text)


def render_config(p: Proposal) -> str:
    domain_note = "" if p.domain_found else "   # not found: `virsh list --all` shows your domain's name"
    return f"""{HEADER}libvirt:
  uri: {p.uri}
  domain: {_q(p.domain)}{domain_note}
default_mode: desk       # where `toggle` goes from an unknown state
toggle: [desk, tv]
transition:
  step_timeout: 15       # seconds before a step counts as failed and the switch rolls back
looking_glass:
  grace: 3               # seconds between SIGTERM and SIGKILL when stopping the viewer
triggers:
  combos:
    - buttons: [select, start]   # hold Back+Start for one second
      hold: 1.0
      action: toggle
  hotplug:
    - kind: gamepad              # a controller connecting switches to TV mode
      mode: tv
      only_when_vm_running: true
"""


def _usb(p: Proposal) -> str:
    if not p.pads:
        return ("# No gamepad was plugged in when init ran: this hands every gamepad present at switch time.\n"
                "usb:\n  - name: any gamepad\n    kind: gamepad\n")
    lines = ["# The gamepads found; optional: a wireless pad may be switched off.", "usb:"]
    for pad in p.pads:
        lines += [f"  - name: {_q(pad.name or 'gamepad')}", f"    vendor: 0x{pad.vendor:04x}",
                  f"    product: 0x{pad.product:04x}", "    optional: true"]
    return "\n".join(lines) + "\n"


def _audio(choice_pattern: str, label: str, wait: bool) -> str:
    lines = [f"audio:\n  sink: {_q(choice_pattern)}   # {label}"]
    if wait:
        lines.append("  when_missing: wait   # TV off: switch the rest now, audio follows when the sink appears")
    lines.append("  move_streams: true")
    return "\n".join(lines) + "\n"


def render_tv(p: Proposal) -> str:
    return (f"{HEADER}# TV mode: the passed-through GPU drives the TV, the controllers go into the VM,\n"
            "# host audio goes to the TV's HDMI sink, Looking Glass is not needed.\nname: tv\nvm: running\n"
            f"{_usb(p)}inputs: []       # keyboard and mouse stay on the host\n"
            f"{_audio(p.tv_sink.pattern, p.tv_sink.label, True)}looking_glass: false\n")


def _inputs(p: Proposal) -> str:
    found = [path for path in (p.keyboard, p.mouse) if path]
    if not found:
        return ("# No keyboard or mouse in /dev/input/by-id when init ran; name yours like this:\n"
                "# inputs:\n#   - path: /dev/input/by-id/usb-Vendor_Keyboard-event-kbd\n")
    lines = ["# Keyboard and mouse as evdev inputs; press both Ctrl keys to move them between host and VM.",
             "inputs:"]
    for path in found:
        lines += [f"  - path: {_q(path)}", "    grab_all: true", "    grab_toggle: ctrl-ctrl"]
    if p.mouse is None or p.keyboard is None:
        lines.append(f"# no {'mouse' if p.mouse is None else 'keyboard'} was found: add it here")
    return "\n".join(lines) + "\n"


def render_desk(p: Proposal) -> str:
    audio = _audio(p.desk_sink.pattern, p.desk_sink.label, False) if p.desk_sink else \
        "# No analog or USB sink found: name yours like this (`pactl list short sinks`)\n" \
        "# audio:\n#   sink: alsa_output.usb-Vendor_Speakers-00.analog-stereo\n"
    viewer = "looking_glass:\n  run: true\n  argv: [looking-glass-client, -F]\n" if p.looking_glass else \
        "# looking-glass-client was not found on PATH: install it, then set run: true\nlooking_glass: false\n"
    return (f"{HEADER}# Desk mode: Looking Glass shows the VM on the host monitor, keyboard and mouse go to\n"
            "# the VM, the controllers stay on the host, audio goes to the desk speakers.\nname: desk\n"
            f"vm: running\nusb: []         # the controllers come back to the host\n{_inputs(p)}{audio}{viewer}")


def planned(config_path: Path, p: Proposal) -> dict[Path, str]:
    modes = config_path.parent / "modes"
    return {config_path: render_config(p), modes / "tv.yaml": render_tv(p), modes / "desk.yaml": render_desk(p)}


def backup_path(path: Path) -> Path:
    candidate, n = path.with_name(path.name + ".bak"), 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.bak{n}")
    return candidate


def write(files: dict[Path, str], replace: Callable[[Path], bool]) -> list[str]:
    """Write each file; an existing one only when `replace(path)` says so, after a backup."""
    report = []
    for path, text in files.items():
        if path.exists():
            if path.read_text(encoding="utf-8", errors="replace") == text:
                report.append(f"unchanged {path}")
                continue
            if not replace(path):
                report.append(f"kept      {path} (exists; --force replaces it and keeps a backup)")
                continue
            backup = backup_path(path)
            shutil.copy2(path, backup)
            report.append(f"replaced  {path} (backup: {backup})")
        else:
            report.append(f"wrote     {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    return report
