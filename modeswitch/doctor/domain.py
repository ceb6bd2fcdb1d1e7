"""What the doctor needs from a domain's XML: PCI hostdevs, IVSHMEM, channels, evdev inputs.

Pure parsing of `virsh dumpxml`-shaped text, as the published VFIO and Looking Glass setup
guides write it (`<hostdev type='pci'>`, `<shmem name='looking-glass'>`, or the kvmfr variant
through `<qemu:commandline>` and a memory-backend-file on /dev/kvmfr0).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

QEMU_NS = "{http://libvirt.org/schemas/domain/qemu/1.0}"
AGENT_CHANNEL = "org.qemu.guest_agent.0"
_UNITS = {"b": 1, "bytes": 1, "k": 1024, "kib": 1024, "kb": 1000, "m": 1024**2, "mib": 1024**2,
          "mb": 1000**2, "g": 1024**3, "gib": 1024**3, "gb": 1000**3}


@dataclass(frozen=True)
class PciHostdev:
    address: str  # sysfs spelling, 0000:01:00.0
    managed: bool


@dataclass(frozen=True)
class SharedMemory:
    """An IVSHMEM region: `<shmem>` (file in /dev/shm) or kvmfr through qemu:commandline."""

    name: str
    size: int | None  # bytes
    kvmfr_path: str | None = None  # /dev/kvmfr0 for the kvmfr variant


@dataclass(frozen=True)
class DomainFacts:
    name: str
    pci: tuple[PciHostdev, ...]
    shmem: tuple[SharedMemory, ...]
    agent_channel: bool
    evdev_inputs: tuple[str, ...]


def parse_size(text: str, unit: str | None = "b") -> int | None:
    """`32`, unit `M` → 32 MiB; also QEMU's `size=32M` spelling."""
    match = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]*)\s*", text)
    if match is None:
        return None
    factor = _UNITS.get((match.group(2) or unit or "b").lower())
    return int(match.group(1)) * factor if factor else None


def _pci_address(source: ET.Element | None) -> str | None:
    address = source.find("address") if source is not None else None
    if address is None:
        return None
    try:
        parts = [int(address.get(key, "0"), 0) for key in ("domain", "bus", "slot", "function")]
    except ValueError:
        return None
    return f"{parts[0]:04x}:{parts[1]:02x}:{parts[2]:02x}.{parts[3]:x}"


def _pci_hostdevs(devices: ET.Element) -> tuple[PciHostdev, ...]:
    found = []
    for hostdev in devices.findall("hostdev"):
        if hostdev.get("mode", "subsystem") != "subsystem" or hostdev.get("type") != "pci":
            continue
        address = _pci_address(hostdev.find("source"))
        if address is not None:
            found.append(PciHostdev(address, hostdev.get("managed", "no") == "yes"))
    return tuple(found)


def _shmem(devices: ET.Element) -> list[SharedMemory]:
    found = []
    for shmem in devices.findall("shmem"):
        size = shmem.find("size")
        found.append(SharedMemory(shmem.get("name", ""),
                                  parse_size(size.text or "", size.get("unit", "M")) if size is not None else None))
    return found


def _kvmfr(root: ET.Element) -> list[SharedMemory]:
    """-object memory-backend-file,id=looking-glass,mem-path=/dev/kvmfr0,size=32M,share=yes"""
    found = []
    for arg in root.iter(f"{QEMU_NS}arg"):
        value = arg.get("value", "")
        if "mem-path=/dev/kvmfr" not in value:
            continue
        options = dict(part.split("=", 1) for part in value.split(",") if "=" in part)
        found.append(SharedMemory(options.get("id", "kvmfr"), parse_size(options.get("size", "")),
                                  options.get("mem-path")))
    return found


def _agent(devices: ET.Element) -> bool:
    return any(target.get("name") == AGENT_CHANNEL
               for channel in devices.findall("channel") for target in channel.findall("target"))


def _evdev(devices: ET.Element) -> tuple[str, ...]:
    paths = []
    for item in devices.findall("input"):
        source = item.find("source")
        if item.get("type") == "evdev" and source is not None and source.get("dev"):
            paths.append(source.get("dev", ""))
    return tuple(paths)


def parse_domain(xml: str) -> DomainFacts:
    """Raises ValueError on text that is not a domain definition."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ValueError(f"not XML: {exc}") from None
    devices = root.find("devices")
    if root.tag != "domain" or devices is None:
        raise ValueError("not a libvirt domain definition")
    return DomainFacts(name=root.findtext("name", ""), pci=_pci_hostdevs(devices),
                       shmem=(*_shmem(devices), *_kvmfr(root)), agent_channel=_agent(devices),
                       evdev_inputs=_evdev(devices))
