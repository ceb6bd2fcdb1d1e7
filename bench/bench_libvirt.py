"""VM device benchmark: a desk → tv → desk cycle of N stand-in pads, backend vs virsh.

    .venv/bin/python bench/bench_libvirt.py [--runs 15] [--pads 1 2 3]

One cycle = observe, plan and apply "tv" (attach every pad), then the same for
"desk" (detach them): the VM part of a real transition, idempotence checks included, the
steps of one plan group applied concurrently as the engine does.

Where it runs: an embedded driver root (`qemu:///embed?root=…`) can be open in one process
only, so `virsh` cannot share the VM of our embedded run. The fair comparison is therefore
made against one private session libvirtd (run as the unprivileged libvirt-qemu user in a
temp home, like a user's own `qemu:///session`): first our backend drives its VM, then a
`virsh -c URI attach-device/detach-device` shell loop does the same operations on the same
VM, one after the other in this run. The backend on the embedded driver (no daemon round
trips at all) is printed as a third figure. Prints medians and the ratio; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pwd
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import libvirt

from modeswitch.core.plan import plan
from modeswitch.model import Mode, SeatState
from modeswitch.parts.usb.spec import UsbMatch
from modeswitch.parts.usb.sysfs import SysfsUsbInventory
from modeswitch.parts.vm.backend import LibvirtBackend
from modeswitch.parts.vm.spec import VmPower
from modeswitch.sandbox.embedded_vm import EmbeddedVm, domain_xml, stand_in_pads
from modeswitch.sandbox.stand_in_usb import StandInXml, write_usb_tree

TV = Mode("tv", vm=VmPower.RUNNING, usb=(UsbMatch("pads", kind="gamepad"),))
DESK = Mode("desk", vm=VmPower.RUNNING, usb=())
DOMAIN = "bench"
VIRSH_LOOP = """
uri=$1 dom=$2; shift 2
for f in "$@"; do virsh -q -c "$uri" attach-device "$dom" "$f" --live >/dev/null || exit 1; done
for f in "$@"; do virsh -q -c "$uri" detach-device "$dom" "$f" --live >/dev/null || exit 1; done
"""


async def cycle(backend: LibvirtBackend, host: SysfsUsbInventory) -> int:
    applied = 0
    for mode in (TV, DESK):
        state = SeatState(vm=await backend.observe(), usb=host.scan())
        for group in plan(state, mode, (TV, DESK)).groups:  # a group's steps run together, as in the engine
            await asyncio.gather(*(backend.apply(step) for step in group))
            applied += len(group)
    return applied


async def backend_ms(uri: str, domain: str, host: SysfsUsbInventory, runs: int) -> list[float]:
    backend = LibvirtBackend(uri, domain, host, usb_xml=StandInXml())
    await backend.connect()
    samples = []
    try:
        await cycle(backend, host)  # warm-up, and starts the VM when needed
        for _ in range(runs):
            began = time.perf_counter()
            await cycle(backend, host)
            samples.append((time.perf_counter() - began) * 1000)
    finally:
        await backend.close()
    return samples


def virsh_ms(uri: str, files: list[Path], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(["sh", "-c", VIRSH_LOOP, "sh", uri, DOMAIN, *map(str, files)], check=True)
        samples.append((time.perf_counter() - began) * 1000)
    return samples


class SessionDaemon:
    """libvirtd in session mode as libvirt-qemu, its socket and state in a temp home."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="msw-bench-"))
        entry = pwd.getpwnam("libvirt-qemu")
        self.ids = (entry.pw_uid, entry.pw_gid)
        os.chown(self.home, *self.ids)
        self.uri = f"qemu+unix:///session?socket={self.home}/run/libvirt/libvirt-sock"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SessionDaemon:
        h = str(self.home)
        env = {"HOME": h, "XDG_RUNTIME_DIR": f"{h}/run", "XDG_CONFIG_HOME": f"{h}/config",
               "XDG_CACHE_HOME": f"{h}/cache", "XDG_DATA_HOME": f"{h}/data", "PATH": "/usr/sbin:/usr/bin"}
        self.process = subprocess.Popen(["/usr/sbin/libvirtd", "--timeout", "0"], env=env,
                                        user=self.ids[0], group=self.ids[1], extra_groups=[],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                libvirt.open(self.uri).defineXML(domain_xml(DOMAIN, shutil.which("qemu-system-x86_64") or ""))
                return self
            except libvirt.libvirtError:
                time.sleep(0.05)
        raise RuntimeError("private libvirtd did not come up")

    def __exit__(self, *_exc: object) -> None:
        try:
            conn = libvirt.open(self.uri)
            dom = conn.lookupByName(DOMAIN)
            if dom.isActive():
                dom.destroy()
            conn.close()
        finally:
            if self.process is not None:
                self.process.terminate()
                self.process.wait(timeout=30)
            shutil.rmtree(self.home, ignore_errors=True)


def stand_in_files(directory: Path, host: SysfsUsbInventory) -> list[Path]:
    files = []
    for device in host.scan():
        path = directory / f"pad-{device.device}.xml"
        path.write_text(StandInXml().usb_xml(device.vendor, device.product, device.bus, device.device))
        files.append(path)
    return files


def report(pads: int, ours: list[float], embedded: list[float], script: list[float]) -> None:
    mine, base, emb = statistics.median(ours), statistics.median(script), statistics.median(embedded)
    print(f"{pads:>4}  {emb:>14.1f}  {mine:>14.1f}  {base:>14.1f}  {base / mine:>6.1f}x")


async def main(runs: int, pad_counts: list[int]) -> None:
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)  # the daemon wait retries quietly
    print(f"desk → tv → desk cycle, median of {runs} runs, milliseconds (ratio = virsh / backend)")
    print("pads  backend@embed  backend@daemon  virsh@daemon   ratio")
    # one embedded root for every figure: libvirt binds a process to the first one it opens
    with tempfile.TemporaryDirectory(prefix="msw-bench-host-") as tmp, SessionDaemon() as daemon:
        (Path(tmp) / "embed").mkdir()
        for pads in pad_counts:
            host = SysfsUsbInventory(write_usb_tree(Path(tmp) / f"sysfs-{pads}", stand_in_pads(pads)))
            ours = await backend_ms(daemon.uri, DOMAIN, host, runs)
            files = stand_in_files(Path(tmp), host)
            script = await asyncio.get_running_loop().run_in_executor(None, virsh_ms, daemon.uri, files, runs)
            for path in files:
                path.unlink()
            async with EmbeddedVm(f"{DOMAIN}-{pads}", pads=pads, root=Path(tmp) / "embed") as vm:
                embedded = await backend_ms(vm.uri, vm.domain, vm.inventory(), runs)
            report(pads, ours, embedded, script)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--pads", type=int, nargs="+", default=[1, 2, 3])
    options = parser.parse_args()
    asyncio.run(main(options.runs, options.pads))
