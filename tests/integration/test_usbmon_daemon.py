"""End to end on the real daemon: TV mode on the embedded VM with stand-in pads attached, and
a FIFO standing in for /dev/usbmon1 that carries mon_bin records. The combo from a pad the VM
holds switches back to desk; the same combo from a device the VM does not hold changes nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from usbmon_daemon_scenario import PADS

HERE = Path(__file__).resolve().parent
TIMEOUT = 240  # a hang guard for the child, not a timing assertion


def test_combo_through_usbmon_switches_tv_back_to_desk() -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent.parent), str(HERE), str(HERE.parent)]))
    with tempfile.TemporaryDirectory(prefix="ms-um-") as tmp:  # short: QEMU's socket paths < 108 bytes
        argv = [sys.executable, str(HERE / "usbmon_daemon_scenario.py"), tmp]
        with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                              start_new_session=True) as child:
            try:
                out, err = child.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, 9)
                out, err = child.communicate()
    assert child.returncode == 0, err[-4000:]
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["open_in_desk"] == []  # no pad in the VM: no usbmon node open
    assert seen["tv"] is True
    assert seen["sources"] == [[1, pad.device, "usbmon (in VM)"] for pad in PADS]
    # exactly one combo switch, from the held pad; the same chord from device 13 did nothing
    assert seen["combos"] == [["desk", f"combo select+start on {PADS[0].name}"]]
    assert seen["mode"] == "desk"
    assert seen["open_in_desk_again"] == []
    # a node that vanishes while pads are in the VM: each pad says so; the daemon still switches
    assert seen["tv_again"] is True
    assert len(seen["reason_after_vanish"]) == 1 and "usbmon1 went away" in seen["reason_after_vanish"][0]
    assert seen["after_vanish"] == [[pad.device, "not readable", True] for pad in PADS]
    assert seen["desk_after_vanish"] is True
