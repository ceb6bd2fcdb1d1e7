"""A throwaway VM in a private libvirt root: what `modeswitch demo` and the tests run against.

`qemu:///embed?root=DIR` runs libvirt's QEMU driver inside this process, so nothing is
installed, no daemon is needed and nothing outside DIR is touched. The VM has no disk and no
video. By default it boots nothing, which is all a seat switch needs to see devices come and
go; given a `GuestImage` (sandbox/guest_image.py) it boots a tiny real Linux with
qemu-guest-agent, so tests and the demo can ask the guest's own kernel what it received.
Its "pads" are emulated USB keyboards (labelled as stand-ins in a sysfs-shaped tree), so
they go through the same attach/detach path as real controllers on any machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import libvirt

from modeswitch.errors import BackendError
from modeswitch.parts.guest.backend import CHANNEL_XML, LibvirtGuestAgent
from modeswitch.parts.usb.sysfs import SysfsUsbInventory
from modeswitch.parts.vm.backend import LibvirtBackend
from modeswitch.parts.vm.connection import EVENT_IMPL, VmEvent, ensure_event_loop
from modeswitch.sandbox import caps_cache
from modeswitch.sandbox.guest_image import GuestImage, cache_root
from modeswitch.sandbox.progress import Progress, silent
from modeswitch.sandbox.saved_state import SavedState, WarmStart, saved_state, state_spec
from modeswitch.sandbox.stand_in_usb import FakeUsbDevice, StandInXml, write_usb_tree

T = TypeVar("T")

# Without user/group root QEMU cannot read its files in a 0700 temp root; without
# stdio_handler=file libvirt wants virtlogd, which an embedded driver has no daemon for.
# namespaces=[]: QEMU sees the caller's own /dev (libvirt cannot build QEMU a private one
# inside a chroot such as scripts/debian13-root's, and emulated input nodes exist only there).
# remember_owner=0: QEMU runs as root, so there is no owner to give back, and the guest image
# is shared by every run: libvirt's per-process owner records on it (xattrs) would be stale to
# the next run (a warning from a forked child, which libvirt writes to stderr itself).
QEMU_CONF = 'user = "root"\ngroup = "root"\nstdio_handler = "file"\nnamespaces = []\nremember_owner = 0\n'


def stand_in_pads(count: int) -> tuple[FakeUsbDevice, ...]:
    """Pads with an Xbox 360 pad's ids, so modes written for real pads match them too."""
    return tuple(FakeUsbDevice(vendor=0x045E, product=0x028E, bus=1, device=10 + n,
                               devpath=str(n + 1), serial=f"STANDIN{n + 1}",
                               name=f"stand-in pad {n + 1} (emulated USB keyboard)")
                 for n in range(count))


def stand_in_adapters() -> tuple[FakeUsbDevice, ...]:
    """An Xbox Wireless Adapter and a Bluetooth adapter (USB class 0xE0), with their real ids,
    so the usbmon reader picks the adapter decoders for them as it would for real ones."""
    return (FakeUsbDevice(vendor=0x045E, product=0x02FE, bus=1, device=20, devpath="8", serial="62463C5A00000000",
                          name="stand-in Xbox Wireless Adapter (emulated USB keyboard)", interface=(0xFF, 0xFF, 0x00)),
            FakeUsbDevice(vendor=0x8087, product=0x0029, bus=1, device=21, devpath="9",
                          name="stand-in Bluetooth adapter (emulated USB keyboard)", interface=(0xE0, 0x01, 0x01)))


def domain_xml(name: str, emulator: str, usb_ports: int | None = None, guest: GuestImage | None = None,
               console: Path | None = None, agent_socket: Path | None = None, uuid: str | None = None,
               qemu_env: Mapping[str, str] | None = None) -> str:
    """Disk-less q35. With `guest`, it boots that kernel and initramfs (256 MiB, which the
    Debian kernel needs) and a serial console log. With `agent_socket`, it has the guest
    agent's channel, bound there: the path libvirt derives from a nested temp root exceeds the
    108 bytes a Unix socket path may have. `uuid`: the one a saved state demands. `qemu_env`:
    variables set for QEMU alone (libvirt's qemu namespace; libvirt clears QEMU's environment)."""
    ports = f" ports='{usb_ports}'" if usb_ports else ""
    boot, memory, extra = "", 64, ""
    if agent_socket is not None:
        source = f"<source mode='bind' path='{agent_socket}'/>"
        extra = "\n    " + CHANNEL_XML.replace("\n", "").replace("<target", source + "<target")
    if guest is not None:
        memory = 256
        boot = (f"\n    <kernel>{guest.kernel}</kernel>\n    <initrd>{guest.initrd}</initrd>"
                f"\n    <cmdline>{guest.cmdline}</cmdline>\n  ")
        if console is not None:
            extra += f"\n    <serial type='file'><source path='{console}'/></serial>"
    variables = "".join(f"<qemu:env name='{k}' value='{v}'/>" for k, v in (qemu_env or {}).items())
    tail = f"\n  <qemu:commandline>{variables}</qemu:commandline>" if variables else ""
    return f"""<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>{name}</name>{f"<uuid>{uuid}</uuid>" if uuid else ""}
  <memory unit='MiB'>{memory}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type>{boot}</os>
  <devices>
    <emulator>{emulator}</emulator>
    <controller type='usb' model='qemu-xhci'{ports}/>
    <video><model type='none'/></video>
    <memballoon model='none'/>{extra}
  </devices>{tail}
</domain>"""


def _open(uri: str) -> libvirt.virConnect:
    try:
        return libvirt.open(uri)
    except libvirt.libvirtError as err:
        if "already open with path" in str(err):
            raise BackendError(f"libvirt's embedded driver is bound to another root in this process: {err}",
                               "pass the same root= to every EmbeddedVm of one process") from None
        raise BackendError(f"cannot open {uri}: {err}") from None


class EmbeddedVm:
    """`async with EmbeddedVm() as vm:` → vm.uri, vm.domain, vm.inventory(), vm.backend().

    Everything it made (domain, QEMU process, temp root or its files in a given root) is gone
    after the block, also on errors. libvirt 9 binds its embedded driver to the first root a
    process opens, for the life of the process: a process that needs several VMs one after
    another (a test session, a benchmark) passes the same `root` to each, with distinct names.

    With a guest, the VM starts from the saved booted guest (sandbox/saved_state.py) unless
    `saved=False`; the first VM of a definition makes that state, saying so on `progress`.
    """

    def __init__(self, name: str = "modeswitch-demo", pads: int = 2, *, start: bool = True,
                 usb_ports: int | None = None, parent: Path | None = None,
                 root: Path | None = None, guest: GuestImage | None = None,
                 emulator: str | None = None, agent_channel: bool = False,
                 extra_usb: tuple[FakeUsbDevice, ...] = (), saved: bool = True,
                 progress: Progress | None = None, qemu_env: Mapping[str, str] | None = None) -> None:
        self.domain, self._pads, self._start = name, pads, start
        self._extra_usb = extra_usb  # more stand-ins (e.g. a wireless adapter's), same path
        self._emulator = emulator  # a wrapper around QEMU (its capabilities are probed anew each run)
        self._qemu_env = dict(qemu_env or {})  # e.g. a umockdev preload: QEMU's own, probed once
        self._agent_channel = agent_channel or guest is not None  # without a guest: nobody answers
        self.guest = guest
        self._socket_dir: Path | None = None
        self._usb_ports, self._parent = usb_ports, parent
        self._own_root = root is None
        self.root = root or Path()
        self._conn: libvirt.virConnect | None = None
        self._dom: libvirt.virDomain | None = None
        self._saved, self._progress = saved and guest is not None, progress or silent()
        self.warm: WarmStart | None = None  # how it starts from the saved guest, when it does

    @property
    def uri(self) -> str:
        return f"qemu:///embed?root={self.root}"

    @property
    def sysfs(self) -> Path:
        return self._sys / "bus" / "usb" / "devices"

    @property
    def _sys(self) -> Path:
        return self.root / f"sys-{self.domain}"

    @property
    def console_log(self) -> Path:
        """The guest's serial console (kernel messages, /init's words), when it boots one."""
        return self._sys / "console.log"

    @property
    def connection(self) -> libvirt.virConnect | None:
        """The connection this VM was made on, for a guest agent to share (see
        backends/guest.py: each embedded connection a process opens is a scarce resource)."""
        return self._conn

    def agent(self) -> LibvirtGuestAgent:
        """A guest agent link on this VM's own connection; connect() it, close() it."""
        return LibvirtGuestAgent(self.uri, self.domain, lambda: self._conn)

    def inventory(self) -> SysfsUsbInventory:
        return SysfsUsbInventory(self.sysfs)

    def backend(self, on_event: Callable[[VmEvent], None] = lambda _e: None, **options: Any) -> LibvirtBackend:
        """A backend on this VM whose USB devices are the emulated stand-ins."""
        return LibvirtBackend(self.uri, self.domain, self.inventory(), on_event,
                              usb_xml=StandInXml(self.inventory()), **options)

    async def __aenter__(self) -> EmbeddedVm:
        emulator = self._emulator or shutil.which("qemu-system-x86_64")
        if emulator is None:
            raise BackendError("qemu-system-x86_64 is not installed", "apt install qemu-system-x86")
        ensure_event_loop(EVENT_IMPL)
        if self._own_root:
            self.root = Path(tempfile.mkdtemp(prefix="modeswitch-vm-", dir=self._parent))
        try:
            (self.root / "etc").mkdir(exist_ok=True)
            (self.root / "etc" / "qemu.conf").write_text(QEMU_CONF)
            write_usb_tree(self.sysfs, stand_in_pads(self._pads) + self._extra_usb)
            # QEMU's capabilities from an earlier run: a wrapper (a new path each run) is probed anew.
            kept = None if self._emulator else caps_cache.kept_dir(cache_root(), libvirt.getVersion(), emulator)
            if kept is not None:
                caps_cache.seed(self.root, kept)
            self._conn = conn = await self._run(_open, self.uri)
            if self._agent_channel:
                self._socket_dir = Path(tempfile.mkdtemp(prefix="msw-ga-"))
            state = await self._run(self._saved_state, conn) if self._saved else None
            xml = domain_xml(self.domain, emulator, self._usb_ports, self.guest, self.console_log,
                             self._socket_dir / "agent.sock" if self._socket_dir else None,
                             state.uuid if state else None, self._qemu_env)
            self._dom = await self._run(conn.defineXML, xml)
            if kept is not None:
                caps_cache.keep(self.root, kept)
            if state is not None:
                self.warm = WarmStart(state, self.root / "lib" / "qemu" / "save" / f"{self.domain}.save",
                                      self._progress)
                await self.warm.prepare(self)
            if self._start:
                await self.start()
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, *_exc: object) -> None:
        dom, conn, self._dom, self._conn = self._dom, self._conn, None, None
        try:
            if dom is not None:
                await self._run(self._remove, dom)
            if conn is not None:
                await self._run(conn.close)
        finally:
            shutil.rmtree(self.root if self._own_root else self._sys, ignore_errors=True)
            if self._socket_dir is not None:
                shutil.rmtree(self._socket_dir, ignore_errors=True)
                self._socket_dir = None

    @staticmethod
    def _remove(dom: libvirt.virDomain) -> None:
        with contextlib.suppress(libvirt.libvirtError):
            if dom.isActive():
                dom.destroy()
        with contextlib.suppress(libvirt.libvirtError):  # a saved guest's managed save goes too
            dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)

    def _saved_state(self, conn: libvirt.virConnect) -> SavedState:
        """The saved state of this definition: its XML with fixed stand-ins for per-run paths."""
        assert self.guest is not None
        canonical = domain_xml(self.domain, "qemu-system-x86_64", self._usb_ports, self.guest, Path("/console.log"),
                               Path("/agent.sock") if self._agent_channel else None,
                               qemu_env={name: "" for name in self._qemu_env})
        spec = state_spec(self.guest, canonical, conn.getLibVersion(), conn.getVersion())
        return saved_state(self.guest, self.domain, spec)

    def libvirt_domain(self) -> libvirt.virDomain:
        return self._domain()

    def _domain(self) -> libvirt.virDomain:
        if self._dom is None:
            raise BackendError("the embedded VM is not set up", "use it inside 'async with'")
        return self._dom

    async def start(self) -> None:
        """Boot, or with a saved guest restore it (then the agent answers and the clock is set)."""
        if self.warm is not None:
            await self.warm.start(self)
        else:
            await self._run(self._domain().create)

    async def pause(self) -> None:
        await self._run(self._domain().suspend)

    async def stop(self) -> None:
        """Pull the plug (destroy): what a guest crash or `virsh destroy` looks like."""
        await self._run(self._domain().destroy)

    async def state(self) -> int:
        return int((await self._run(self._domain().state))[0])

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)
