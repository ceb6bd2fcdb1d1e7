"""End to end on the real daemon: TV mode on the embedded VM holding stand-ins of an Xbox
Wireless Adapter and a Bluetooth adapter, a FIFO standing in for /dev/usbmon1 with their
traffic. A chord split across two pads behind one adapter (or two channels of one pad) does
not fire; one pad's chord behind each adapter switches back to desk.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from usbmon_wireless_scenario import BLUETOOTH, DS4, DUALSENSE, PAD_A, PAD_B, XBOX

HERE = Path(__file__).resolve().parent
TIMEOUT = 240  # a hang guard for the child, not a timing assertion
VIA_XBOX, VIA_BT = "usbmon (in VM, via Xbox Wireless Adapter)", "usbmon (in VM, via Bluetooth)"


def test_a_pad_behind_each_adapter_switches_tv_back_to_desk() -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent.parent), str(HERE), str(HERE.parent)]))
    with tempfile.TemporaryDirectory(prefix="ms-uw-") as tmp:  # short: QEMU's socket paths < 108 bytes
        argv = [sys.executable, str(HERE / "usbmon_wireless_scenario.py"), tmp]
        with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                              start_new_session=True) as child:
            try:
                out, err = child.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, 9)
                out, err = child.communicate()
    assert child.returncode == 0, err[-4000:]
    seen = json.loads(out.strip().splitlines()[-1])
    xbox, bt = seen["xbox"], seen["bluetooth"]
    assert xbox["tv"] is True and bt["tv"] is True
    # in TV mode before any pad spoke: each adapter is readable, its pads not heard yet
    assert xbox["before"] == [[XBOX.device, f"pads behind {XBOX.name}", VIA_XBOX, None, XBOX.name],
                              [BLUETOOTH.device, f"pads behind {BLUETOOTH.name}", VIA_BT, None, BLUETOOTH.name]]
    assert xbox["during"][:2] == [[XBOX.device, f"pad {PAD_A}", VIA_XBOX, "gip", XBOX.name],
                                  [XBOX.device, f"pad {PAD_B}", VIA_XBOX, "gip", XBOX.name]]
    assert bt["during"][1:] == [[BLUETOOTH.device, f"pad {DS4}", VIA_BT, "dualshock4", BLUETOOTH.name],
                                [BLUETOOTH.device, "pad link 0x000c", VIA_BT, "dualsense", BLUETOOTH.name]]
    # the split chords fired nothing; one switch per adapter, from the pad that sent the chord
    assert xbox["mode_after_split"] == "tv" and bt["mode_after_split"] == "tv"
    assert seen["combos"] == [["desk", f"combo select+start on pad {PAD_A} via {XBOX.name}"],
                              ["desk", f"combo select+start on pad {DS4} via {BLUETOOTH.name}"]]
    assert DUALSENSE not in json.dumps(seen)  # connected before: told by its handle, not an address
