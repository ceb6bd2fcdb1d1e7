"""The wlr-output-management backend: on this machine's sway 1.7, and the display suite
(tests/wlroots/) on labwc 0.8 and sway 1.10 in the Debian 13 root, where they are packaged.

sway 1.7 (Debian 12) reports its headless outputs to the protocol as disabled with a 0x0
mode while its IPC shows them lit: that is why sway sessions stay on the IPC backend.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

from support.compositors import HeadlessSway

from modeswitch.parts.display.session import SessionDisplay
from modeswitch.parts.display.sway import SwayBackend
from modeswitch.parts.display.wlroots import WlrOutputBackend

HERE = Path(__file__).resolve().parent
SCRIPT = HERE.parent.parent / "scripts" / "debian13-root"
SUITE = HERE.parent / "wlroots"
TIMEOUT = 900  # a hang guard for the run in the root on a loaded 2-core machine


def test_sway_1_7_reports_lit_outputs_as_dark_to_the_protocol() -> None:
    with HeadlessSway(outputs=2) as sway:
        root = Path(sway.socket).parent
        display = next(p for p in root.glob("wayland-*") if not p.name.endswith(".lock"))
        seen = asyncio.run(WlrOutputBackend(str(display)).observe())
        assert sorted((o.output, o.enabled) for o in seen.outputs) == [("HEADLESS-1", False), ("HEADLESS-2", False)]
        ipc = asyncio.run(SwayBackend(sway.socket).observe())
        assert sorted((o.output, o.enabled) for o in ipc.outputs) == [("HEADLESS-1", True), ("HEADLESS-2", True)]
        env = {"WAYLAND_DISPLAY": str(display), "SWAYSOCK": sway.socket, "XDG_CURRENT_DESKTOP": "sway"}
        assert isinstance(SessionDisplay(env).current(), SwayBackend)


def test_the_display_suite_passes_on_labwc_and_sway_1_10_in_debian13() -> None:
    argv = [str(SCRIPT), "run", "sh", "-c", "labwc --version; sway --version; exec python -m pytest -v "
            "-p no:cacheprovider -o python_files='wlroots_*.py' --rootdir /src/tests/wlroots /src/tests/wlroots"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL,
                          check=False)
    report = done.stdout[-6000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
    assert re.search(r"^labwc 0\.\d+", done.stdout, re.M) and re.search(r"^sway version 1\.(\d\d)", done.stdout, re.M)
    passed = set(re.findall(r"::(\w+)\[(labwc|sway)\] PASSED", done.stdout))
    tests = set(re.findall(r"^def (test_\w+)\(compositor", (SUITE / "wlroots_display.py").read_text(), re.M))
    assert len(tests) >= 4 and passed == {(t, c) for t in tests for c in ("labwc", "sway")}, report
