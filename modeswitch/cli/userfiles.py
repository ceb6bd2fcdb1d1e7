"""`modeswitch udev-rules` and `systemd-unit`: put the shipped files where users need them."""

from __future__ import annotations

import argparse
import grp
import os
import subprocess
import sys
from pathlib import Path

from modeswitch import packaged
from modeswitch.errors import ModeswitchError
from modeswitch.paths import xdg_dir
from modeswitch.shipped import RULES_NAME, USBMON_CONF, rules_path
from modeswitch.triggers.usbmon_reader import USBMON_GROUP  # the group the rules give /dev/usbmon* to


def udev_rules(install: bool, dest: Path = Path("/etc/udev/rules.d"),
               modules: Path = Path("/etc/modules-load.d"), package: Path = packaged.UDEV_RULES_DIR) -> str:
    """The rules, and for pads in the VM the usbmon module at boot and its group."""
    text = rules_path().read_text(encoding="utf-8")
    if not install:
        return text
    if (package / RULES_NAME).exists():
        return _already_packaged(package / RULES_NAME, dest / RULES_NAME) + (
            f"to read pads inside the VM, add the daemon's user to group {USBMON_GROUP}: "
            f"sudo usermod -aG {USBMON_GROUP} $USER (then log in again)\n")
    if os.geteuid() != 0:
        raise ModeswitchError("installing udev rules needs root", "run: sudo modeswitch udev-rules --install")
    dest.mkdir(parents=True, exist_ok=True)
    (dest / RULES_NAME).write_text(text, encoding="utf-8")
    modules.mkdir(parents=True, exist_ok=True)
    (modules / USBMON_CONF).write_text(rules_path(USBMON_CONF).read_text(encoding="utf-8"), encoding="utf-8")
    commands = [["udevadm", "control", "--reload"], ["modprobe", "usbmon"],
                ["udevadm", "trigger", "--subsystem-match=input", "--subsystem-match=kvmfr",
                 "--subsystem-match=usbmon"]]
    if not _group_exists(USBMON_GROUP):
        commands.insert(0, ["groupadd", "--system", USBMON_GROUP])
    for argv in commands:
        subprocess.run(argv, check=False)
    return (f"installed {dest / RULES_NAME} and {modules / USBMON_CONF}, loaded usbmon, reloaded udev\n"
            f"to read pads inside the VM, add the daemon's user to group {USBMON_GROUP}: "
            f"sudo usermod -aG {USBMON_GROUP} $USER (then log in again)\n")


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


UNIT_TEMPLATE = """\
# modeswitch as a systemd user service; start it with
#   systemctl --user daemon-reload && systemctl --user enable --now modeswitch
[Unit]
Description=modeswitch: switch the VFIO seat between TV and desk mode
After=graphical-session.target pipewire-pulse.service pulseaudio.service
PartOf=graphical-session.target

[Service]
Type=notify
NotifyAccess=main
ExecStart={executable} daemon
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=2
# Looking Glass is a child of the daemon; stopping the unit stops it too.
KillMode=mixed
TimeoutStopSec=15

[Install]
WantedBy=graphical-session.target
"""


def systemd_unit(executable: Path) -> str:
    return UNIT_TEMPLATE.format(executable=executable)


def _already_packaged(installed: Path, shadow: Path) -> str:
    """Nothing to write; a copy of our own from before the package would hide its newer one."""
    text = f"already installed by the package: {installed}\n"
    if shadow.exists():
        text += f"{shadow} hides it (same name, read first): remove that copy\n"
    return text


def install_unit(executable: Path, config_home: Path, package: Path = packaged.USER_UNIT_DIR) -> str:
    target = config_home / "systemd" / "user" / packaged.UNIT_NAME
    if (package / packaged.UNIT_NAME).exists():
        return (_already_packaged(package / packaged.UNIT_NAME, target) +
                "now: systemctl --user daemon-reload && systemctl --user enable --now modeswitch\n")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(systemd_unit(executable), encoding="utf-8")
    return f"wrote {target}\nnow: systemctl --user daemon-reload && systemctl --user enable --now modeswitch\n"


def rules_command(args: argparse.Namespace) -> int:
    """`modeswitch udev-rules [--install]`."""
    print(udev_rules(install=args.install), end="")
    return 0


def unit_command(args: argparse.Namespace) -> int:
    """`modeswitch systemd-unit [--install]`: the unit runs the command this process was started as."""
    executable = Path(sys.argv[0]).resolve()
    text = install_unit(executable, xdg_dir("XDG_CONFIG_HOME", ".config")) if args.install \
        else systemd_unit(executable)
    print(text, end="")
    return 0
