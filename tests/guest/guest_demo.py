"""`modeswitch demo` end to end: the pads arrive in the guest's kernel in TV mode and leave in desk mode."""

from __future__ import annotations

import re
import subprocess
import sys


def test_demo_prints_the_pads_the_guest_kernel_sees() -> None:
    done = subprocess.run([sys.executable, "-m", "modeswitch", "demo"], capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    seen = re.findall(r"guest   sees (\d+) USB device", done.stdout)
    assert seen == ["0", "2", "0"], done.stdout[-3000:]  # desk, tv, desk
    keyboards = re.findall(r"^ +1-\d 0627:0001 QEMU USB Keyboard \(/dev/input/event\d+\)$", done.stdout, re.M)
    assert len(keyboards) == 2
    said = re.findall(r"^  guest said: (.*)$", done.stdout, re.M)
    assert said == ["picture on the virtual display", "picture on the TV", "picture on the virtual display"]
