"""`modeswitch demo` end to end: the pads arrive in the guest's kernel in TV mode and leave in
desk mode; every line is modeswitch's own (none of libvirt's); a second run resumes the saved
booted guest in its first switch's `start VM` step."""

from __future__ import annotations

import re
import subprocess
import sys


def _demo() -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "modeswitch", "demo"], capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stderr == ""  # libvirt's log and error reports go to the debug log, not here
    return done


def test_demo_prints_the_pads_the_guest_kernel_sees() -> None:
    first, second = _demo(), _demo()
    for done in (first, second):
        seen = re.findall(r"guest   sees (\d+) USB device", done.stdout)
        assert seen == ["0", "2", "0"], done.stdout[-3000:]  # desk, tv, desk
        keyboards = re.findall(r"^ +1-\d 0627:0001 QEMU USB Keyboard \(/dev/input/event\d+\)$", done.stdout, re.M)
        assert len(keyboards) == 2
        said = re.findall(r"^  guest said: (.*)$", done.stdout, re.M)
        assert said == ["picture on the virtual display", "picture on the TV",
                        "audio to the TV, in the session of player", "picture on the virtual display"]
        assert re.search(r"guest keys KEY_LEFTCTRL\+KEY_LEFTALT\+KEY_F11 \(held 0.05 s\)", done.stdout)
    assert "booting the guest once to save its state" not in second.stdout  # the first run saved it
    desk = second.stdout.split("=== switching to desk ===", 1)[1]
    assert re.search(r"^  ok +[\d.]+ ms  start VM modeswitch-demo$", desk, re.M), desk[:2000]
    assert "the VM resumed the saved booted guest: its agent answered guest-sync, its clock is set" in desk
