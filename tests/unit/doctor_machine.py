"""Fixture machines for the doctor: sysfs, /proc, /dev, /etc trees shaped like a real VFIO
desktop (as `lspci -nnk`, `find /sys/kernel/iommu_groups` and the setup guides show one),
a config with desk and tv modes, and the domain XML of the guides. Each test breaks one thing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from modeswitch.config.loader import load_config
from modeswitch.doctor.domain import parse_domain
from modeswitch.doctor.facts import CommandResult, Facts, LibvirtFacts
from modeswitch.doctor.roots import Roots

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "doctor"
USER, KVM, INPUT, LIBVIRT_QEMU = 1000, 992, 995, 64055
KEYBOARD = "/dev/input/by-id/usb-Logitech_G513_Keyboard-event-kbd"
MOUSE = "/dev/input/by-id/usb-Logitech_G502_Mouse-event-mouse"
PAD = "usb-Microsoft_Controller_3039373130303636-event-joystick"

# address: (class, vendor, device, driver, iommu group) -- an AMD board, NVIDIA RTX 3060 Ti
PCI = {
    "0000:00:00.0": ("0x060000", "0x1022", "0x1480", None, "0"),
    "0000:00:03.1": ("0x060400", "0x1022", "0x1483", "pcieport", "1"),
    "0000:01:00.0": ("0x030000", "0x10de", "0x2489", "vfio-pci", "1"),
    "0000:01:00.1": ("0x040300", "0x10de", "0x228b", "vfio-pci", "1"),
    "0000:02:00.0": ("0x010802", "0x144d", "0xa808", "nvme", "2"),
    "0000:0b:00.4": ("0x040300", "0x1022", "0x1487", "snd_hda_intel", "3"),
}
QEMU_CONF = """\
# Master configuration file for the QEMU driver.
#user = "+0"
cgroup_device_acl = [
    "/dev/null", "/dev/full", "/dev/zero",
    "/dev/random", "/dev/urandom",
    "/dev/ptmx", "/dev/kvm",
    "/dev/kvmfr0"
]
"""
CONFIG = """\
libvirt:
  uri: qemu:///system
  domain: win11
triggers:
  combos:
    - buttons: [select, start]
      action: toggle
"""
DESK = f"""\
name: desk
vm: running
usb: []
inputs:
  - path: {KEYBOARD}
  - path: {MOUSE}
looking_glass: true
"""
TV = """\
name: tv
vm: running
usb:
  - kind: gamepad
inputs: []
looking_glass: false
"""


@dataclass
class Machine:
    root: Path
    pci: dict[str, tuple[str, str, str, str | None, str]] = field(default_factory=lambda: dict(PCI))
    domain_xml: str = (FIXTURES / "win11-kvmfr.xml").read_text()
    uri: str = "qemu:///system"
    lg_help: str | None = "Looking Glass (B6)\nUsage: looking-glass-client [OPTIONS]\n"

    @property
    def sys(self) -> Path:
        return self.root / "sys"

    @property
    def dev(self) -> Path:
        return self.root / "dev"

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def proc(self) -> Path:
        return self.root / "proc"

    def write(self, relative: str, text: str, mode: int = 0o644, owner: tuple[int, int] = (0, 0)) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        os.chown(path, *owner)
        path.chmod(mode)
        return path

    def link(self, relative: str, target: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():
            path.unlink()
        path.symlink_to(target)

    def build(self) -> Machine:
        for address, (cls, vendor, device, driver, group) in self.pci.items():
            base = f"sys/bus/pci/devices/{address}"
            self.write(f"{base}/class", cls + "\n")
            self.write(f"{base}/vendor", vendor + "\n")
            self.write(f"{base}/device", device + "\n")
            if driver:
                (self.sys / "bus" / "pci" / "drivers" / driver).mkdir(parents=True, exist_ok=True)
                self.link(f"{base}/driver", f"../../../../bus/pci/drivers/{driver}")
            (self.sys / "kernel" / "iommu_groups" / group / "devices").mkdir(parents=True, exist_ok=True)
            self.link(f"{base}/iommu_group", f"../../../../kernel/iommu_groups/{group}")
            self.link(f"sys/kernel/iommu_groups/{group}/devices/{address}", f"../../../../bus/pci/devices/{address}")
        self.write("proc/cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\n")
        self.write("proc/cmdline", "BOOT_IMAGE=/vmlinuz-6.1.0-18-amd64 root=/dev/nvme0n1p2 ro quiet amd_iommu=on "
                   "iommu=pt\n")
        self.write("proc/modules", "kvmfr 20480 0 - Live 0x0000000000000000 (OE)\nvfio_pci 16384 0 - Live 0x0\n")
        self.write("sys/module/kvmfr/parameters/static_size_mb", "32\n")
        self.write("dev/kvmfr0", "", 0o660, (USER, KVM))
        self.write("dev/input/event3", "", 0o660, (0, INPUT))
        self.write("dev/input/event4", "", 0o660, (0, INPUT))
        self.write("dev/input/event20", "", 0o660, (0, INPUT))
        self.link(KEYBOARD.removeprefix("/"), "../event3")
        self.link(MOUSE.removeprefix("/"), "../event4")
        self.link(f"dev/input/by-id/{PAD}", "../event20")
        self.write("dev/usbmon0", "", 0o640, (0, INPUT))
        self.write("etc/libvirt/qemu.conf", QEMU_CONF)
        self.write("etc/udev/rules.d/70-modeswitch.rules", "# rules\n")
        self.write("cfg/config.yaml", CONFIG)
        self.write("cfg/modes/desk.yaml", DESK)
        self.write("cfg/modes/tv.yaml", TV)
        self.write("home/.config/systemd/user/modeswitch.service", "[Service]\n")
        if self.lg_help is not None:
            self.write("bin/looking-glass-client", f"#!/bin/sh\ncat <<'END'\n{self.lg_help}END\n", 0o755)
        return self

    def roots(self, uid: int = USER, gids: frozenset[int] = frozenset({USER, INPUT})) -> Roots:
        return Roots(sys=self.sys, proc=self.proc, dev=self.dev, etc=self.etc, path=str(self.root / "bin"),
                     config_home=self.root / "home" / ".config", uid=uid, gids=gids)

    def facts(self, **changes: object) -> Facts:
        """What gather() would read on this machine; libvirt and systemctl answers as they
        print them (this machine has neither the GPU nor a user manager)."""
        config = changes.pop("config", None) or load_config(self.root / "cfg" / "config.yaml", required=True)
        viewer_path = self.root / "bin" / "looking-glass-client"
        facts = Facts(
            roots=self.roots(), config=config, config_error=None,  # type: ignore[arg-type]
            libvirt=LibvirtFacts(self.uri, "win11", domain=parse_domain(self.domain_xml), active=False),
            audio=None,
            viewer_version=CommandResult(0, self.lg_help) if self.lg_help is not None else None,
            viewer_path=str(viewer_path) if self.lg_help is not None else None,
            unit_enabled=CommandResult(0, "enabled"), unit_active=CommandResult(0, "active"),
            shipped_rules="# rules\n",
        )
        return replace(facts, **changes)  # type: ignore[arg-type]
