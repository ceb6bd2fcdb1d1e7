"""`udevadm test` of udev/70-modeswitch.rules against emulated devices, fully sandboxed.

Usage: umockdev-wrapper PYTHON umockdev_udev.py rules WORKDIR
This process builds the Testbed (a DualSense and its touchpad, an xpad pad, a keyboard, a
kvmfr device); for each device it re-runs itself as `unshare -m ... sandbox RULES SYSPATH`,
which mounts a tmpfs on /run, hides /etc/udev/rules.d and shows only a rules dir holding the
system's 60-input-id.rules (so ID_INPUT_JOYSTICK comes from udev's real input_id builtin,
reading the emulated capabilities) and ours. udevadm exits 0 even on broken rules, so the
output is what gets checked. Prints one JSON object on its last line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from umockdev_devices import Rig

ROOT = Path(__file__).resolve().parent.parent.parent
OURS = ROOT / "udev" / "70-modeswitch.rules"
SYSTEM_RULES = Path("/usr/lib/udev/rules.d")
KVMFR = """\
P: /devices/virtual/kvmfr/kvmfr0
N: kvmfr0
E: DEVNAME=/dev/kvmfr0
E: SUBSYSTEM=kvmfr
E: MAJOR=242
E: MINOR=0
A: dev=242:0
"""
USBMON = """\
P: /devices/virtual/usbmon/usbmon1
N: usbmon1
E: DEVNAME=/dev/usbmon1
E: SUBSYSTEM=usbmon
E: MAJOR=243
E: MINOR=1
A: dev=243:1
"""
USBMON_GROUP = "usbmon"
TROUBLE = ("invalid", "unknown key", "failed to", "error", "ignoring")


def group_file(workdir: Path) -> tuple[Path, int]:
    """/etc/group plus the usbmon group `udev-rules --install` creates, for the sandbox only:
    the machine's own group database is left alone."""
    text = Path("/etc/group").read_text()
    entries = [line.split(":") for line in text.splitlines() if line.count(":") == 3]
    for name, _pw, gid, _members in entries:
        if name == USBMON_GROUP:
            return Path("/etc/group"), int(gid)
    taken = {int(gid) for _n, _p, gid, _m in entries if gid.isdigit()}
    gid = next(n for n in range(999, 100, -1) if n not in taken)
    path = workdir / "group"
    path.write_text(text.rstrip("\n") + f"\n{USBMON_GROUP}:x:{gid}:\n")
    return path, gid


def sandbox(rules: Path, syspath: str, groups: str) -> None:
    """Runs inside `unshare -m`: nothing mounted here is seen outside, nothing leaks to /run."""
    mounts = [["mount", "-t", "tmpfs", "tmpfs", "/run"],
              ["mount", "-t", "tmpfs", "tmpfs", "/etc/udev/rules.d"],
              ["mount", "--bind", str(rules), str(SYSTEM_RULES)],
              ["mount", "--bind", groups, "/etc/group"]]
    for argv in mounts:
        subprocess.run(argv, check=True)
    done = subprocess.run(["udevadm", "test", "--action=add", syspath],
                          capture_output=True, text=True, check=False)
    sys.stdout.write(done.stdout + done.stderr)


def udevadm_test(rules: Path, syspath: str, groups: Path = Path("/etc/group")) -> str:
    argv = ["unshare", "-m", "--propagation", "private", "--",
            sys.executable, __file__, "sandbox", str(rules), syspath, str(groups)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False).stdout


def parse(output: str) -> dict[str, Any]:
    """The property dump udevadm test ends with, plus lines that smell of a rules problem."""
    props = dict(line.split("=", 1) for line in output.splitlines()
                 if "=" in line and line.split("=", 1)[0].isupper() and " " not in line.split("=", 1)[0])
    ours = [line for line in output.splitlines() if "70-modeswitch.rules" in line]
    trouble = [line for line in ours if any(word in line.lower() for word in TROUBLE)]
    return {"props": props, "our_lines": ours, "trouble": trouble}


def main(workdir: Path) -> dict[str, Any]:
    rig = Rig(workdir)  # first: the Testbed must exist before anything asks umockdev
    rules = workdir / "rules.d"
    rules.mkdir()
    shutil.copy(SYSTEM_RULES / "60-input-id.rules", rules)
    shutil.copy(OURS, rules)
    devices = {name: rig.plug(name, number).syspath for number, name in
               enumerate(["dualsense", "dualsense-touchpad", "xpad-360", "keyboard"], start=3)}
    rig.testbed.add_from_string(KVMFR)
    devices["kvmfr"] = "/sys/devices/virtual/kvmfr/kvmfr0"
    rig.testbed.add_from_string(USBMON)
    devices["usbmon"] = "/sys/devices/virtual/usbmon/usbmon1"
    groups, gid = group_file(workdir)
    result: dict[str, Any] = {name: parse(udevadm_test(rules, syspath, groups)) for name, syspath in devices.items()}
    result["usbmon_gid"] = gid
    # The control: a broken copy of our file must show up as trouble, or the check is blind.
    broken = workdir / "broken.d"
    shutil.copytree(rules, broken)
    with (broken / OURS.name).open("a") as extra:
        extra.write('SUBSYSTEM=="input", BOGUS=="1", GOTO="nowhere"\n')
    result["broken-control"] = parse(udevadm_test(broken, devices["xpad-360"]))
    return result


if __name__ == "__main__":
    if sys.argv[1] == "sandbox":
        sandbox(Path(sys.argv[2]), sys.argv[3], sys.argv[4])
    else:
        print(json.dumps(main(Path(sys.argv[2]))))
