"""What the sound server remembers or does by itself that would undo a switch: applications
WirePlumber pins to a sink, PipeWire/WirePlumber rules that give streams a target, and
module-switch-on-connect (a sink that appears becomes the default: the TV switched on in desk
mode takes the sound). Reads files below the doctor's roots only."""

from __future__ import annotations

from pathlib import Path

from modeswitch.doctor.facts import Facts
from modeswitch.doctor.report import Finding, ok, warn
from modeswitch.parts.audio.memory import SWITCH_ON_CONNECT, Pin, rule_pins, saved_default, saved_pins, saved_profiles

RULE_DIRS = ("wireplumber", "pipewire")
RULE_SUFFIXES = (".conf", ".lua")
MAX_RULE_FILES = 200  # a config tree is a handful of files; this bounds a pathological one


def checks(facts: Facts) -> list[Finding]:
    audio = facts.audio
    if audio is None or not audio.connected:
        return []
    findings = [_rules(facts)]
    if (audio.software or "").startswith("PipeWire"):
        findings.insert(0, _memory(facts.roots.state_home / "wireplumber"))
    return findings


def _read(path: Path) -> str | None:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return None


def _memory(state: Path) -> Finding:
    pins = saved_pins(_read(state / "restore-stream"), _read(state / "stream-properties"), str(state))
    if pins:
        names = "; ".join(f"{pin.who} → {pin.sink}" for pin in pins)
        return warn("audio.memory", f"WirePlumber sends these streams to a sink whatever the default: {names} "
                    f"(saved in {pins[0].where})",
                    "play the application and switch once (modeswitch moves it to the default, which clears the "
                    "target), or delete those lines while WirePlumber is stopped")
    default = saved_default(_read(state / "default-nodes")) or "none saved"
    profiles = len(saved_profiles(_read(state / "default-profile")))
    return ok("audio.memory", f"WirePlumber restores the default sink ({default}) and {profiles} card profile(s) "
              "after a restart; no application is pinned to a sink")


def _rule_files(facts: Facts) -> list[Path]:
    found: list[Path] = []
    for base in (facts.roots.config_home, facts.roots.etc):
        for name in RULE_DIRS:
            top = base / name
            if top.is_dir():
                found += sorted(p for p in top.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file())
    return found[:MAX_RULE_FILES]


def _rules(facts: Facts) -> Finding:
    pins: list[Pin] = []
    for path in _rule_files(facts):
        pins += rule_pins(str(path), _read(path) or "")
    problems = [f"{pin.where} sends {pin.who} to {pin.sink}" for pin in pins]
    if SWITCH_ON_CONNECT in facts.audio_modules:
        problems.append(f"{SWITCH_ON_CONNECT} is loaded: a sink that appears becomes the default")
    if problems:
        return warn("audio.rules", "a rule would undo a switch: " + "; ".join(problems),
                    "remove the target from the rule (the mode chooses the sink) and do not load "
                    f"{SWITCH_ON_CONNECT}; the daemon moves audio back, but the sound plays on the wrong "
                    "sink until it does")
    return ok("audio.rules", "no rule gives streams a fixed sink or switches to a sink that appears")
