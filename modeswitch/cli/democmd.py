"""`modeswitch demo`: a desk -> tv -> desk cycle on an embedded VM, private audio and stand-ins."""

from __future__ import annotations

import argparse
import os


def command(_args: argparse.Namespace) -> int:
    # The embedded libvirt driver logs to our stderr; its "tainted" warnings are about the
    # demo's own root-run QEMU and monitor use. Errors still show. libvirt reads this when it
    # is first imported, which is why the demo is imported only after it is set.
    os.environ.setdefault("LIBVIRT_LOG_OUTPUTS", "4:stderr")
    from modeswitch.cli.demo import run_demo

    return run_demo()
