"""The first-run and daily-use subcommands: doctor (and, registered here too, the others of
that family), kept out of main.py so it only gains a hook."""

from __future__ import annotations

import argparse
import sys
from typing import Any

COMMANDS = ("doctor", "init", "events", "completion")


def add_parsers(sub: Any) -> None:
    doctor = sub.add_parser("doctor", help="check that this machine is ready: IOMMU, vfio-pci, Looking Glass, "
                            "libvirt, audio, devices, the user unit")
    doctor.add_argument("--json", action="store_true", help="machine-readable findings")
    doctor.add_argument("--resolution", metavar="WxH", help="the guest's resolution, to size Looking Glass "
                        "memory (default: the largest display mode in the modes, else 1920x1080)")


    init = sub.add_parser("init", help="find your VM, keyboard, mouse, pads and sinks; write config.yaml and "
                          "modes that name them")
    init.add_argument("--yes", action="store_true", help="take the proposal without asking")
    init.add_argument("--json", action="store_true", help="print what was found (and write only with --yes)")
    init.add_argument("--force", action="store_true", help="replace existing files (a .bak copy is kept)")
    init.add_argument("--uri", default="qemu:///system", help="libvirt URI to look for domains (default %(default)s)")
    events = sub.add_parser("events", help="follow switches, state changes, triggers and reloads as they happen")
    events.add_argument("--json", action="store_true", help="one JSON object per line (for status bars)")
    completion = sub.add_parser("completion", help="print the shell completion script (bash, zsh or fish)")
    completion.add_argument("shell", nargs="?", choices=("bash", "zsh", "fish"))
    completion.add_argument("--list-modes", action="store_true", help=argparse.SUPPRESS)


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "doctor":
        return _doctor(args)
    if args.command == "init":
        from modeswitch.cli.initcmd import main
        from modeswitch.doctor.roots import Roots

        return main(args, Roots.from_environment())
    if args.command == "events":
        from modeswitch.cli.events import follow
        from modeswitch.paths import Paths

        return follow(Paths.from_environment().socket, args.json)
    if args.command == "completion":
        return _completion(args)
    raise AssertionError(args.command)


def _completion(args: argparse.Namespace) -> int:
    from modeswitch.cli import completion
    from modeswitch.cli.main import build_parser
    from modeswitch.errors import ModeswitchError

    if args.list_modes:
        sys.stdout.write("".join(f"{name}\n" for name in completion.list_modes(args.config)))
        return 0
    if args.shell is None:
        raise ModeswitchError("which shell?", "modeswitch completion bash (or zsh, fish)")
    sys.stdout.write(completion.script(args.shell, build_parser()))
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from modeswitch.doctor.report import exit_code, render_json, render_text
    from modeswitch.doctor.roots import Roots
    from modeswitch.doctor.run import doctor, parse_resolution

    if args.resolution:
        parse_resolution(args.resolution)  # a typo is a one-line error before anything is probed
    import asyncio  # not at import time: `status` loads this module and must stay fast

    findings = asyncio.run(doctor(Roots.from_environment(), args.config, args.resolution))
    sys.stdout.write(render_json(findings) if args.json else render_text(findings))
    return exit_code(findings)
