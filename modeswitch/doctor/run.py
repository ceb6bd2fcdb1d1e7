"""Gather the facts once (the only side effects), then run every group of checks on them."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

from modeswitch.config.loader import Config, load_config
from modeswitch.doctor import audio, devices, guest, lookingglass, service, vfio, vm
from modeswitch.doctor.facts import CommandResult, Facts
from modeswitch.doctor.probes import (
    probe_audio,
    probe_audio_modules,
    probe_guest,
    probe_libvirt,
    probe_notifications,
    run_command,
)
from modeswitch.doctor.report import Finding, fail, ok
from modeswitch.doctor.roots import Roots, read_text
from modeswitch.errors import ModeswitchError
from modeswitch.shipped import rules_path

GROUPS = (vm.checks, guest.checks, vfio.checks, lookingglass.checks, audio.checks, devices.checks, service.checks)
DEFAULT_RESOLUTION = (1920, 1080)


def parse_resolution(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*", text)
    if match is None:
        raise ModeswitchError(f"resolution '{text}' is not WIDTHxHEIGHT", "e.g. 2560x1440")
    return int(match.group(1)), int(match.group(2))


def resolution_of(config: Config, given: str | None) -> tuple[tuple[int, int], str]:
    """--resolution, else the largest mode set on a `display` output, else 1080p."""
    if given:
        return parse_resolution(given), "--resolution"
    sizes = [parse_resolution(out.mode) for mode in config.modes.values() for out in mode.display or ()
             if out.mode and re.fullmatch(r"\d+x\d+", out.mode)]
    if sizes:
        return max(sizes, key=lambda wh: wh[0] * wh[1]), "largest display mode in the modes"
    return DEFAULT_RESOLUTION, "default; pass --resolution for a larger screen"


def load(config_path: Path | None) -> tuple[Config, Finding]:
    try:
        config = load_config(config_path, required=config_path is not None)
    except ModeswitchError as exc:
        return Config(path=config_path), fail("config", str(exc), "correct it, then run 'modeswitch check'")
    return config, ok("config", f"{config.path}: {len(config.modes)} mode(s)")


async def gather(roots: Roots, config: Config, config_error: str | None, resolution: str | None = None,
                 shipped_rules: str | None = None) -> Facts:
    viewer_argv = next((m.viewer.argv for m in config.modes.values() if m.viewer and m.viewer.run),
                       (lookingglass.CLIENT,))
    viewer = run_command([viewer_argv[0], "--help"], roots.path)
    viewer_missing = viewer.error is not None and "not on PATH" in viewer.error
    size, source = resolution_of(config, resolution)
    libvirt = await probe_libvirt(config.libvirt_uri, config.domain)
    asks_guest = bool(libvirt.active and libvirt.domain and libvirt.domain.agent_channel and
                      any(mode.guest for mode in config.modes.values()))
    return Facts(
        roots=roots, config=config, config_error=config_error, libvirt=libvirt,
        guest=await probe_guest(config.libvirt_uri, config.domain) if asks_guest else None,
        audio=await probe_audio(config.pulse_server),
        audio_modules=await probe_audio_modules(config.pulse_server),
        viewer_version=None if viewer_missing else viewer,
        viewer_path=None if viewer_missing else shutil.which(viewer_argv[0], path=roots.path),
        unit_enabled=_systemctl(roots, "is-enabled"), unit_active=_systemctl(roots, "is-active"),
        notifications=await probe_notifications() if config.notifications else CommandResult(None, error="off"),
        resolution=size, resolution_source=source, shipped_rules=shipped_rules, session=session_of(os.environ),
    )


def session_of(env: Mapping[str, str]) -> str | None:
    from modeswitch.parts.display.session import detect_session

    try:
        return detect_session(env).value
    except ModeswitchError:
        return None  # no desktop session (a service started outside it)


def _systemctl(roots: Roots, verb: str) -> CommandResult:
    return run_command(["systemctl", "--user", verb, "modeswitch.service"], roots.path)


def diagnose(facts: Facts) -> list[Finding]:
    """Every group, in the order a new setup meets them; a check that breaks is a line too."""
    findings: list[Finding] = []
    for group in GROUPS:
        try:
            findings.extend(group(facts))
        except Exception as exc:  # a check must never end the report with a traceback
            name = group.__module__.rsplit(".", 1)[-1]
            findings.append(fail(f"{name}.error", f"the {name} checks could not run: {type(exc).__name__}: {exc}",
                                 "report this with 'modeswitch -v doctor' output"))
    return findings


async def doctor(roots: Roots, config_path: Path | None, resolution: str | None = None) -> list[Finding]:
    config, loaded = load(config_path)
    rules = read_text(rules_path())
    facts = await gather(roots, config, None if loaded.status == "ok" else loaded.message, resolution, rules)
    return [loaded, *diagnose(facts)]
