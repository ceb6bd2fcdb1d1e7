"""`modeswitch demo`: a desk -> tv -> desk cycle on an embedded VM, private audio and stand-ins."""

from __future__ import annotations

import argparse


def command(_args: argparse.Namespace) -> int:
    # Imported only now: libvirt's log settings, which main.setup_logging made (its lines go to
    # the debug log, see modeswitch/logsink.py), are read when libvirt is first imported.
    from modeswitch.cli.demo import run_demo

    return run_demo()
