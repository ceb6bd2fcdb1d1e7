"""Without permission on /dev/usbmonN (the usual 0600 root before the udev rule), the reader
says so once, with the fix, and the pad shows as not readable. Run as a real other uid
(`nobody`): root passes every permission check."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPT = """
import asyncio, json, logging, sys
from pathlib import Path
from modeswitch.triggers.usbmon_reader import UsbmonPads, VmPad
seen = []
class Keep(logging.Handler):
    def emit(self, record): seen.append(record.getMessage())
logging.getLogger().addHandler(Keep())
async def main():
    pads = UsbmonPads(Path(sys.argv[1]), 0.5, lambda *a: None)
    loop = asyncio.get_running_loop()
    for _ in range(3):  # the seat changes three times: one log line
        pads.follow([VmPad(1, 10, 0x045E, 0x028E, "pad one")], loop)
    print(json.dumps({"rows": pads.describe(), "open": pads.open_buses, "log": seen}))
asyncio.run(main())
"""


def test_no_permission_is_reported_once_with_the_fix() -> None:
    root = Path(tempfile.mkdtemp(prefix="ms-usbmon-"))
    try:
        root.chmod(0o755)
        os.mkfifo(root / "usbmon1", 0o600)  # as the kernel's node is before the udev rule
        argv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable, "-c", SCRIPT,
                str(root)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(root, ignore_errors=True)
    (row,) = result["rows"]
    assert row["source"] == "not readable"
    assert row["reason"] == f"no permission to read {root}/usbmon1"
    assert "udev-rules --install" in row["fix"] and "usermod -aG usbmon" in row["fix"]
    assert result["open"] == []
    assert [line for line in result["log"] if "cannot read pads in the VM" in line] == [
        f"cannot read pads in the VM on bus 1: no permission to read {root}/usbmon1; fix: {row['fix']}"]
