"""`modeswitch doctor`: is this machine ready (IOMMU, vfio-pci, Looking Glass, libvirt, audio,
devices, the user unit)? Findings as text or --json; the exit code says the worst of them."""

from __future__ import annotations

import argparse
import asyncio
import sys

from modeswitch.doctor.report import exit_code, render_json, render_text
from modeswitch.doctor.roots import Roots
from modeswitch.doctor.run import doctor, parse_resolution


def command(args: argparse.Namespace) -> int:
    if args.resolution:
        parse_resolution(args.resolution)  # a typo is a one-line error before anything is probed
    findings = asyncio.run(doctor(Roots.from_environment(), args.config, args.resolution))
    sys.stdout.write(render_json(findings) if args.json else render_text(findings))
    return exit_code(findings)
