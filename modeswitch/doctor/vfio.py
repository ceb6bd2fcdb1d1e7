"""IOMMU and vfio-pci: the half of every VFIO guide before the VM first boots.

A passed-through device must be bound to vfio-pci (or be `managed='yes'`, so libvirt binds
it at start), and so must every other endpoint of its IOMMU group, or QEMU refuses with
"group N is not viable". The GPU's HDMI audio function sits beside it and belongs in the VM.
"""

from __future__ import annotations

import os
from pathlib import Path

from modeswitch.doctor.facts import Facts
from modeswitch.doctor.report import Finding, fail, ok, warn
from modeswitch.doctor.roots import read_text

VFIO_DRIVERS = {"vfio-pci", "pci-stub"}  # pci-stub: the older way to keep a host driver off it
BRIDGE_CLASS = "0x0604"  # PCI bridges share groups with the endpoints behind them; harmless
DISPLAY_CLASS, AUDIO_CLASS = "0x03", "0x0403"


def _link_name(path: Path) -> str | None:
    try:
        return os.path.basename(os.readlink(path))
    except OSError:
        return None


def _pci_dir(facts: Facts, address: str) -> Path:
    return facts.roots.sys / "bus" / "pci" / "devices" / address


def _describe(facts: Facts, address: str) -> str:
    device = _pci_dir(facts, address)
    ids = f"{(read_text(device / 'vendor') or '?')[2:]}:{(read_text(device / 'device') or '?')[2:]}"
    return f"{address} [{ids}] driver {_link_name(device / 'driver') or 'none'}"


def _iommu_fix(facts: Facts) -> str:
    cpu = read_text(facts.roots.proc / "cpuinfo") or ""
    vendor_flag = "amd_iommu=on" if "AuthenticAMD" in cpu else "intel_iommu=on"
    cmdline = read_text(facts.roots.proc / "cmdline") or ""
    if "iommu=" in cmdline:
        return (f"the kernel command line has IOMMU options ({cmdline}) but no groups exist: "
                "enable VT-d / AMD-Vi (IOMMU) in the firmware setup")
    return (f"enable VT-d / AMD-Vi in the firmware and add '{vendor_flag} iommu=pt' to the kernel "
            "command line (GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, then update-grub, reboot)")


def iommu(facts: Facts) -> Finding:
    groups = facts.roots.sys / "kernel" / "iommu_groups"
    count = len(list(groups.iterdir())) if groups.is_dir() else 0
    if count == 0:
        return fail("vfio.iommu", f"IOMMU is off: no groups in {groups}", _iommu_fix(facts))
    return ok("vfio.iommu", f"IOMMU on: {count} groups")


def checks(facts: Facts) -> list[Finding]:
    findings = [iommu(facts)]
    domain = facts.libvirt.domain
    if domain is None:
        return findings  # the libvirt checks say why there is no domain to look at
    if not domain.pci:
        findings.append(warn("vfio.hostdev", f"domain '{domain.name}' has no PCI <hostdev>: no GPU is passed through",
                             "add the GPU and its audio function: virsh edit, <hostdev mode='subsystem' "
                             "type='pci' managed='yes'> with their <source><address .../>"))
        return findings
    passed = {dev.address for dev in domain.pci}
    for dev in domain.pci:
        findings.append(_bound(facts, dev.address, dev.managed))
    groups = sorted({g for dev in domain.pci if (g := _link_name(_pci_dir(facts, dev.address) / "iommu_group"))})
    findings.extend(_group(facts, group, passed) for group in groups)
    findings.extend(_audio_function(facts, address, passed) for address in sorted(passed)
                    if (read_text(_pci_dir(facts, address) / "class") or "").startswith(DISPLAY_CLASS))
    return findings


def _bound(facts: Facts, address: str, managed: bool) -> Finding:
    device = _pci_dir(facts, address)
    if not device.exists():
        return fail("vfio.hostdev", f"hostdev {address} of the domain is not on this host",
                    "lspci -D lists the addresses; fix <source><address> in the domain XML")
    driver = _link_name(device / "driver")
    if driver in VFIO_DRIVERS:
        return ok("vfio.hostdev", f"{_describe(facts, address)}: bound to {driver}")
    if managed:
        return ok("vfio.hostdev", f"{_describe(facts, address)}: managed='yes', libvirt binds it to vfio-pci at start")
    ids = f"{(read_text(device / 'vendor') or '0x?')[2:]}:{(read_text(device / 'device') or '0x?')[2:]}"
    return fail("vfio.hostdev", f"{_describe(facts, address)}: not bound to vfio-pci and not managed",
                f"set managed='yes' on the hostdev, or bind it early: 'vfio-pci.ids={ids}' on the kernel "
                "command line (or options vfio-pci ids=... in /etc/modprobe.d)")


def _group(facts: Facts, group: str, passed: set[str]) -> Finding:
    members = sorted(p.name for p in (facts.roots.sys / "kernel" / "iommu_groups" / group / "devices").glob("*"))
    blockers = []
    for address in members:
        if address in passed or (read_text(_pci_dir(facts, address) / "class") or "").startswith(BRIDGE_CLASS):
            continue
        if _link_name(_pci_dir(facts, address) / "driver") not in VFIO_DRIVERS | {None}:
            blockers.append(_describe(facts, address))
    if blockers:
        return fail("vfio.group", f"IOMMU group {group} also holds {'; '.join(blockers)}: "
                    "QEMU refuses a group that is not viable",
                    "pass those devices to the VM too, or bind them to vfio-pci; if the group mixes host "
                    "devices, use another PCIe slot (the ACS override patch is the last resort)")
    return ok("vfio.group", f"IOMMU group {group} ({', '.join(members)}) is viable")


def _audio_function(facts: Facts, gpu: str, passed: set[str]) -> Finding:
    slot = gpu.rsplit(".", 1)[0]
    siblings = sorted(p.name for p in (facts.roots.sys / "bus" / "pci" / "devices").glob(f"{slot}.*")
                      if p.name != gpu and (read_text(p / "class") or "").startswith(AUDIO_CLASS))
    missing = [address for address in siblings if address not in passed]
    if missing:
        return warn("vfio.gpu-audio", f"the GPU {gpu} has its HDMI audio function {', '.join(missing)} on the host",
                    f"add a <hostdev type='pci' managed='yes'> for {', '.join(missing)} so the TV gets sound "
                    "and the IOMMU group stays whole")
    if siblings:
        return ok("vfio.gpu-audio", f"the GPU's audio function {', '.join(siblings)} is passed too")
    return ok("vfio.gpu-audio", f"the GPU {gpu} has no separate audio function")
