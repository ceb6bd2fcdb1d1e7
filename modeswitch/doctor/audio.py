"""The sound server and the sinks that modes name (or a card profile that would make them)."""

from __future__ import annotations

from modeswitch.doctor import sound_memory
from modeswitch.doctor.facts import Facts
from modeswitch.doctor.report import Finding, fail, ok, warn
from modeswitch.parts.audio.plan import matching_sinks, profile_offers
from modeswitch.parts.audio.spec import WhenMissing


def checks(facts: Facts) -> list[Finding]:
    users = facts.modes_using("audio")
    audio = facts.audio
    if audio is None or not audio.connected:
        error = audio.error if audio is not None else "not asked"
        if not users:
            return [warn("audio.server", f"no sound server reachable ({error}); no mode moves audio",
                         "start PulseAudio or PipeWire (pipewire-pulse) in your session")]
        return [fail("audio.server", f"no sound server reachable: {error}",
                     "start PulseAudio or PipeWire (pipewire-pulse) in your session, or set audio.server in "
                     "config.yaml")]
    software = f"{audio.software}, " if audio.software else ""
    findings = [ok("audio.server", f"{audio.server}: {software}{len(audio.sinks)} sink(s)")]
    for name in users:
        findings.append(_sink(facts, name))
    return findings + sound_memory.checks(facts)


def _sink(facts: Facts, mode: str) -> Finding:
    assert facts.audio is not None
    target = facts.config.modes[mode].audio
    assert target is not None
    what = f"{target.match_by.value} '{target.pattern}'"
    found = matching_sinks(target, facts.audio.sinks, facts.audio.cards)
    if found:
        return ok(f"audio.sink.{mode}", f"mode {mode}: {what} matches {', '.join(s.name for s in found)}")
    offers = profile_offers(target, facts.audio.cards)
    if offers:
        return ok(f"audio.sink.{mode}", f"mode {mode}: {what} appears with card profile {offers[0].label}")
    if target.when_missing is WhenMissing.WAIT:
        return ok(f"audio.sink.{mode}", f"mode {mode}: no sink matches {what} now; the mode waits for it "
                  "(when_missing: wait)")
    names = ", ".join(f"{s.name} ({s.description})" for s in facts.audio.sinks) or "none"
    return fail(f"audio.sink.{mode}", f"mode {mode}: no sink matches {what}; sinks: {names}",
                f"edit {facts.config.modes[mode].source}: name one of these sinks, or set when_missing: wait "
                "if it appears later (a TV switched on)")
