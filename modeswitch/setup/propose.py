"""Ranking what was found into one proposal. Pure: Discovery in, Proposal out.

The choices follow how a VFIO seat is usually wired: the domain that passes PCI devices
through is the gaming VM; an HDMI (or DisplayPort) sink is the TV; an analog or USB sink is
the desk; the main interface of a keyboard/mouse is the one QEMU should grab.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from modeswitch.parts.audio.spec import Sink
from modeswitch.parts.usb.spec import UsbDevice
from modeswitch.setup.discover import Discovery

PLACEHOLDER_DOMAIN = "win11"
HDMI_GLOB = "*hdmi-stereo*"


@dataclass(frozen=True)
class SinkChoice:
    pattern: str
    by: str  # "sink" (name or glob) or "description"
    label: str  # what the user sees: the description, or why it is a glob


@dataclass(frozen=True)
class Proposal:
    uri: str
    domain: str
    domain_found: bool
    agent_channel: bool | None
    keyboard: str | None
    mouse: str | None
    pads: tuple[UsbDevice, ...]
    tv_sink: SinkChoice
    desk_sink: SinkChoice | None
    looking_glass: bool
    choices: dict[str, list[str]] = field(default_factory=dict)  # alternatives per item, for prompts


def is_hdmi(sink: Sink) -> bool:
    text = f"{sink.name} {sink.description}".lower()
    return "hdmi" in text or "displayport" in text


def is_desk(sink: Sink) -> bool:
    if is_hdmi(sink):
        return False
    text = f"{sink.name} {sink.description}".lower()
    return any(word in text for word in ("analog", "usb", "speaker", "headphone", "headset"))


def rank_domains(found: Discovery) -> list[str]:
    """PCI passthrough first (most devices first), then running ones, then by name."""
    return [d.name for d in sorted(found.domains, key=lambda d: (-len(d.pci), d.name not in found.running, d.name))]


def tv_sinks(found: Discovery) -> list[SinkChoice]:
    choices = [SinkChoice(s.name, "sink", s.description) for s in found.sinks if is_hdmi(s)]
    has_profile = any("hdmi" in p.name for card in found.cards for p in card.profiles)
    if has_profile or not choices:
        why = "an HDMI sink appears when its card profile is switched on" if has_profile else \
            "no HDMI sink found now: any that appears later"
        choices.append(SinkChoice(HDMI_GLOB, "sink", why))
    return choices


def desk_sinks(found: Discovery) -> list[SinkChoice]:
    ranked = sorted(found.sinks, key=lambda s: (not is_desk(s), is_hdmi(s)))
    return [SinkChoice(s.name, "sink", s.description) for s in ranked if not is_hdmi(s)]


def propose(found: Discovery) -> Proposal:
    domains = rank_domains(found)
    chosen = domains[0] if domains else PLACEHOLDER_DOMAIN
    facts = next((d for d in found.domains if d.name == chosen), None)
    tv, desk = tv_sinks(found), desk_sinks(found)
    return Proposal(
        uri=found.uri, domain=chosen, domain_found=facts is not None,
        agent_channel=facts.agent_channel if facts is not None else None,
        keyboard=found.keyboards[0] if found.keyboards else None,
        mouse=found.mice[0] if found.mice else None,
        pads=found.pads, tv_sink=tv[0], desk_sink=desk[0] if desk else None,
        looking_glass=found.looking_glass is not None,
        choices={"domain": domains, "keyboard": list(found.keyboards), "mouse": list(found.mice),
                 "tv_sink": [c.pattern for c in tv], "desk_sink": [c.pattern for c in desk]},
    )
