"""The first-run and daily-use subcommands: doctor (and, registered here too, the others of
that family), kept out of main.py so it only gains a hook."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

COMMANDS = ("doctor",)


def add_parsers(sub: Any) -> None:
    doctor = sub.add_parser("doctor", help="check that this machine is ready: IOMMU, vfio-pci, Looking Glass, "
                            "libvirt, audio, devices, the user unit")
    doctor.add_argument("--json", action="store_true", help="machine-readable findings")
    doctor.add_argument("--resolution", metavar="WxH", help="the guest's resolution, to size Looking Glass "
                        "memory (default: the largest display mode in the modes, else 1920x1080)")


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "doctor":
        return _doctor(args)
    raise AssertionError(args.command)


def _doctor(args: argparse.Namespace) -> int:
    from modeswitch.doctor.report import exit_code, render_json, render_text
    from modeswitch.doctor.roots import Roots
    from modeswitch.doctor.run import doctor, parse_resolution

    if args.resolution:
        parse_resolution(args.resolution)  # a typo is a one-line error before anything is probed
    findings = asyncio.run(doctor(Roots.from_environment(), args.config, args.resolution))
    sys.stdout.write(render_json(findings) if args.json else render_text(findings))
    return exit_code(findings)
