"""What the test guest's own kernel sees: its USB devices and their input nodes.

Asked through the guest agent, so a test or the demo checks what the VM really received,
not what libvirt believes it attached. The listing runs busybox's shell inside the guest
(the guest is ours; on the host, commands stay argument lists).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from modeswitch.errors import BackendError
from modeswitch.parts.guest.backend import GuestAgent

# One line per USB device (root hubs left out): devpath|vendor:product|product name|nodes,
# where a node is eventN when /dev/input/eventN exists, or eventN! when only sysfs has it.
LIST_USB = r"""
for d in /sys/bus/usb/devices/*; do
  [ -f "$d/idVendor" ] || continue
  case "${d##*/}" in usb*) continue;; esac
  nodes=""
  for e in "$d"/*/*/input/input*/event* "$d"/*/input/input*/event*; do
    [ -e "$e" ] || continue
    n="${e##*/}"
    if [ -c "/dev/input/$n" ]; then nodes="$nodes $n"; else nodes="$nodes $n!"; fi
  done
  echo "${d##*/}|$(cat "$d/idVendor"):$(cat "$d/idProduct")|$(cat "$d/product" 2>/dev/null)|${nodes# }"
done
"""


@dataclass(frozen=True)
class GuestUsb:
    devpath: str  # 1-2: root hub 1 (the xHCI's USB 2 ports), port 2
    vendor: int
    product: int
    name: str
    nodes: tuple[str, ...]  # eventN present in the guest's /dev/input
    missing_nodes: tuple[str, ...] = ()  # eventN in sysfs without a /dev node

    @property
    def port(self) -> int:
        return int(self.devpath.rsplit("-", 1)[-1].split(".")[-1])

    def __str__(self) -> str:
        nodes = ", ".join(f"/dev/input/{n}" for n in self.nodes) or "no input node"
        return f"{self.devpath} {self.vendor:04x}:{self.product:04x} {self.name} ({nodes})"


def parse_usb_listing(text: str) -> tuple[GuestUsb, ...]:
    found = []
    for line in text.splitlines():
        parts = line.strip().split("|")
        if len(parts) != 4:
            continue
        devpath, ids, name, nodes = parts
        vendor, _, product = ids.partition(":")
        if not (_hex(vendor) and _hex(product)):
            continue  # read while the kernel was still setting the device up (or taking it down)
        words = nodes.split()
        found.append(GuestUsb(devpath, int(vendor, 16), int(product, 16), name,
                              tuple(w for w in words if not w.endswith("!")),
                              tuple(w[:-1] for w in words if w.endswith("!"))))
    return tuple(sorted(found, key=lambda d: d.devpath))


def _hex(text: str) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return True


async def guest_usb(agent: GuestAgent, timeout: float = 30.0) -> tuple[GuestUsb, ...]:
    """The guest's USB devices now, as its kernel lists them in sysfs."""
    done = await agent.run(["/bin/sh", "-c", LIST_USB], timeout)
    if done.exit_code != 0:
        raise BackendError(f"listing the guest's USB devices failed: {done.last_error_line}")
    return parse_usb_listing(done.stdout)


async def settled_guest_usb(agent: GuestAgent, done: Callable[[tuple[GuestUsb, ...]], bool],
                            guard: float = 30.0) -> tuple[GuestUsb, ...]:
    """The guest's USB devices once `done` holds for them, or the last listing after `guard`
    seconds. A hot-plugged device takes the guest's kernel a moment to enumerate (and an
    unplugged one to notice), so a look right after libvirt's answer can be early."""
    deadline = time.monotonic() + guard
    while True:
        devices = await guest_usb(agent)
        if done(devices) or time.monotonic() > deadline:
            return devices
        await asyncio.sleep(0.1)


def complete(count: int) -> Callable[[tuple[GuestUsb, ...]], bool]:
    """`count` USB devices, each with its input node created."""
    return lambda devices: len(devices) == count and all(d.nodes and not d.missing_nodes for d in devices)
