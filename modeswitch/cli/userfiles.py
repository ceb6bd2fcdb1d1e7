"""`modeswitch init` and `modeswitch udev-rules`: put the shipped files where users need them."""

from __future__ import annotations

import grp
import os
import shutil
import subprocess
from pathlib import Path

from modeswitch.config.loader import shipped_modes_dir
from modeswitch.errors import ModeswitchError
from modeswitch.triggers.usb.reader import USBMON_GROUP  # the group the rules give /dev/usbmon* to

CONFIG_TEMPLATE = """\
# modeswitch configuration. Every key is optional; see README.md for the full reference.
libvirt:
  uri: qemu:///system
  domain: win11          # `virsh list --all` shows your domain's name
default_mode: desk       # where `toggle` goes from an unknown state
toggle: [desk, tv]
transition:
  step_timeout: 15       # seconds before a step counts as failed and the switch rolls back
looking_glass:
  grace: 3               # seconds between SIGTERM and SIGKILL when stopping the viewer
triggers:
  combos:
    - buttons: [select, start]   # hold Back+Start for one second
      hold: 1.0
      action: toggle
  hotplug:
    - kind: gamepad              # a controller connecting switches to TV mode
      mode: tv
      only_when_vm_running: true
"""

RULES_NAME = "70-modeswitch.rules"
USBMON_CONF = "modeswitch-usbmon.conf"


def init_config(config_path: Path) -> str:
    """Write config.yaml and copy the example modes; never overwrite what the user has."""
    modes_dir = config_path.parent / "modes"
    modes_dir.mkdir(parents=True, exist_ok=True)
    written = []
    if not config_path.exists():
        config_path.write_text(CONFIG_TEMPLATE, encoding="utf-8")
        written.append(str(config_path))
    for source in sorted(shipped_modes_dir().glob("*.yaml")):
        target = modes_dir / source.name
        if not target.exists():
            shutil.copyfile(source, target)
            written.append(str(target))
    if not written:
        return f"nothing to do: {config_path} and {modes_dir} already exist"
    return "wrote " + ", ".join(written) + "\nedit them, then run 'modeswitch check'"


def rules_path(name: str = RULES_NAME) -> Path:
    checkout = Path(__file__).resolve().parent.parent / "udev" / name
    if checkout.exists():
        return checkout
    prefix = Path(shutil.which("modeswitch") or "/usr/bin/modeswitch").resolve().parent.parent
    return prefix / "share" / "modeswitch" / "udev" / name


def udev_rules(install: bool, dest: Path = Path("/etc/udev/rules.d"),
               modules: Path = Path("/etc/modules-load.d")) -> str:
    """The rules, and for pads in the VM the usbmon module at boot and its group."""
    text = rules_path().read_text(encoding="utf-8")
    if not install:
        return text
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
# modeswitch as a systemd user service: `modeswitch systemd-unit --install`, then
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


def install_unit(executable: Path, config_home: Path) -> str:
    target = config_home / "systemd" / "user" / "modeswitch.service"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(systemd_unit(executable), encoding="utf-8")
    return f"wrote {target}\nnow: systemctl --user daemon-reload && systemctl --user enable --now modeswitch\n"
