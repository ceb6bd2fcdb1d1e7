"""Input devices the daemon must read (pads for combos, desk keyboard and mouse for the
held-key check before a grab), the udev rules that give that access, and usbmon for the
combo of pads that sit in the VM."""

from __future__ import annotations

from pathlib import Path

from modeswitch.doctor.facts import Facts
from modeswitch.doctor.report import Finding, fail, ok, warn
from modeswitch.doctor.roots import may, read_text
from modeswitch.shipped import RULES_NAME

RULES_FIX = "sudo modeswitch udev-rules --install"


def checks(facts: Facts) -> list[Finding]:
    return [*_pads(facts), *_mode_inputs(facts), _rules(facts), _usbmon(facts)]


def _pads(facts: Facts) -> list[Finding]:
    by_id = facts.roots.dev / "input" / "by-id"
    pads = sorted(by_id.glob("*-event-joystick")) if by_id.is_dir() else []
    wanted = bool(facts.config.combos or facts.config.hotplug or facts.modes_using("usb"))
    if not pads:
        if not wanted:
            return [ok("input.pads", "no gamepad connected, and no mode or trigger needs one")]
        return [warn("input.pads", f"no gamepad in {by_id} now", "plug in (or switch on) a controller; "
                     "combos and hotplug rules need it")]
    unreadable = [p.name for p in pads if not may(p, facts.roots.uid, facts.roots.gids)]
    if unreadable:
        return [fail("input.pads", f"gamepads not readable by uid {facts.roots.uid}: {', '.join(unreadable)}",
                     RULES_FIX)]
    return [ok("input.pads", f"{len(pads)} gamepad(s) readable: {', '.join(p.name for p in pads)}")]


def _mode_inputs(facts: Facts) -> list[Finding]:
    findings = []
    paths = sorted({(item.path, name) for name, mode in facts.config.modes.items() for item in mode.inputs or ()})
    for path, mode in paths:
        local = facts.roots.under_dev(path)
        if not local.exists():
            findings.append(fail("input.mode", f"mode {mode}: {path} does not exist",
                                 f"plug it in or name the right device ('ls {facts.roots.dev}/input/by-id/'; "
                                 "'modeswitch init' proposes them)"))
        elif not may(local, facts.roots.uid, facts.roots.gids):
            findings.append(fail("input.mode", f"mode {mode}: {path} is not readable by uid {facts.roots.uid}, so "
                                 "a held key cannot be seen before the grab", "join the 'input' group or add a "
                                 "uaccess udev rule for it"))
        else:
            findings.append(ok("input.mode", f"mode {mode}: {path} is readable"))
    return findings


def _rules(facts: Facts) -> Finding:
    """/etc's copy (from `udev-rules --install`) hides the package's of the same name."""
    installed = facts.roots.etc / "udev" / "rules.d" / RULES_NAME
    packaged = facts.roots.usr_lib / "udev" / "rules.d" / RULES_NAME
    if not installed.exists() and packaged.exists():
        installed = packaged
    text = read_text(installed)
    if text is None:
        return warn("udev.rules", f"{installed} is not installed: pads and /dev/kvmfr* need root", RULES_FIX)
    if facts.shipped_rules is not None and text != facts.shipped_rules.strip():
        return warn("udev.rules", f"{installed} differs from the rules this version ships", RULES_FIX)
    return ok("udev.rules", f"{installed} is installed")


def _usbmon(facts: Facts) -> Finding:
    """A pad attached to the VM vanishes from the host's evdev; its buttons can still be seen
    on usbmon, which is how the TV-mode combo reads it."""
    if not (facts.config.combos and facts.modes_using("usb")):
        return ok("usbmon", "no combo needs to read pads that are in the VM")
    nodes = sorted(Path(p) for p in (facts.roots.dev).glob("usbmon*"))
    if not nodes:
        return warn("usbmon", "no /dev/usbmon* nodes: combos cannot see pads while the VM holds them",
                    "modprobe usbmon (and 'usbmon' in /etc/modules-load.d/usbmon.conf)")
    readable = [n for n in nodes if may(n, facts.roots.uid, facts.roots.gids)]
    if not readable:
        return warn("usbmon", f"/dev/usbmon* is not readable by uid {facts.roots.uid}: combos cannot see pads "
                    "while the VM holds them", RULES_FIX + " (or a udev rule giving /dev/usbmon* to your user)")
    return ok("usbmon", f"{len(readable)} usbmon node(s) readable")
