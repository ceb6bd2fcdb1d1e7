"""Where the control socket lives, with nothing but os: the CLI's fast path asks this before
it knows whether a daemon answers, and pathlib alone would cost it a few milliseconds."""

from __future__ import annotations

import os


def runtime_dir() -> str:
    """$XDG_RUNTIME_DIR/modeswitch, or a per-user /tmp dir where no runtime dir is set."""
    root = os.environ.get("XDG_RUNTIME_DIR")
    return os.path.join(root, "modeswitch") if root else f"/tmp/modeswitch-{os.getuid()}"


def control_socket() -> str:
    return os.path.join(runtime_dir(), "control.sock")
