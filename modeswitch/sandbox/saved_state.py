"""The booted test guest, saved once and restored in about a second instead of booted in ten.

Under TCG the Debian kernel needs ~10 s until its agent answers; every demo and every guest
test paid that. libvirt can save a running domain (QEMU's migration stream: RAM and device
state) to a file and restore it. So the first time a domain definition is used, the guest is
booted once, its agent waited for, and the domain saved into the cache beside the guest image
(`state-<key>.save`). Each later domain of that definition gets a copy as its *managed save*
(`<root>/lib/qemu/save/<name>.save`, libvirt's "resume where it stopped"): whatever starts it
next, `EmbeddedVm.start()` or the demo's own `start VM` step, restores instead of booting.

The key is what makes a state valid: the image, libvirt's and QEMU's versions, and the domain
XML with its per-run paths left out (a new root, console log or agent socket changes no ABI, so
the copy's XML is rewritten to this run's paths). libvirt restores a state only into a domain of
the same name and UUID, so the UUID is derived from the key. A state QEMU refuses (a stale or
truncated file) is one line saying so, a cold boot, and a new state. A copy (~100 MB, mostly
one read of the page cache) rather than a link: libvirt rewrites the XML inside the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import libvirt
import libvirt_qemu

from modeswitch.errors import BackendError
from modeswitch.sandbox.guest_image import GuestImage
from modeswitch.sandbox.progress import Progress

if TYPE_CHECKING:
    from modeswitch.parts.guest.backend import LibvirtGuestAgent
    from modeswitch.sandbox.embedded_vm import EmbeddedVm

T = TypeVar("T")

STATE_RECIPE = 1  # bump when what a saved guest must be changes (e.g. what it waits for)
BOOT_GUARD = 180.0  # seconds for the first boot's agent on a loaded 2-core machine; a hang guard
SETTLE_GUARD = 30.0  # seconds for the agent of a restored guest: it was answering when saved
UUID_NAMESPACE = uuid.UUID("0b6c3f4e-25a1-4c55-9d0e-6d6f64657377")
XML_FLAGS = libvirt.VIR_DOMAIN_XML_SECURE | libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_MIGRATABLE


@dataclass(frozen=True)
class SavedState:
    """Where a domain definition's booted state is cached, and the UUID its domain must have."""

    path: Path
    uuid: str
    family: str  # "state-NAME-LIBVIRT-QEMU": the states of one domain on one stack, by XML and image

    @property
    def lock(self) -> Path:
        return self.path.parent / "state.lock"

    def stale(self) -> list[Path]:
        """Earlier states of the same domain on the same stack (its XML or recipe changed since):
        100 MB each that nothing will restore again."""
        return sorted(p for p in self.path.parent.glob(f"{self.family}-*.save") if p != self.path)


def state_spec(image: GuestImage, canonical_xml: str, libvirt_version: int, qemu_version: int) -> dict[str, object]:
    """Everything a saved state depends on; `canonical_xml` is the domain XML with fixed
    stand-ins for the paths that differ per run."""
    return {"recipe": STATE_RECIPE, "image": image.kernel.parent.name, "initrd_bytes": image.initrd.stat().st_size,
            "cmdline": image.cmdline, "libvirt": libvirt_version, "qemu": qemu_version, "xml": canonical_xml}


def saved_state(image: GuestImage, name: str, spec: dict[str, object]) -> SavedState:
    key = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    family = f"state-{name}-{spec['libvirt']}-{spec['qemu']}"
    return SavedState(image.kernel.parent / f"{family}-{key}.save", str(uuid.uuid5(UUID_NAMESPACE, key)), family)


def first_line(err: Exception) -> str:
    text = err.get_error_message() if isinstance(err, libvirt.libvirtError) else None
    return ((text or str(err)).strip().splitlines() or ["no reason given"])[0]


class WarmStart:
    """One EmbeddedVm's saved guest: hands the cached state to its domain as the managed save
    (making the state first if there is none), starts from it, and settles the restored guest."""

    def __init__(self, state: SavedState, managed: Path, progress: Progress) -> None:
        self.state, self.managed, self._progress = state, managed, progress
        self.restored = False  # libvirt says the running guest was restored from a state file

    async def prepare(self, vm: EmbeddedVm) -> None:
        """The domain (defined, shut off) gets the booted state as its managed save."""
        async with _locked(self.state.lock):
            if not self.state.path.exists():
                await self._make(vm)
        try:
            await _run(self._hand_over, vm.connection, _xml(vm))
        except (libvirt.libvirtError, OSError) as err:
            await self.refused(vm, err)

    def _hand_over(self, conn: libvirt.virConnect, xml: str) -> None:
        self.managed.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.state.path, self.managed)
        conn.saveImageDefineXML(str(self.managed), xml, 0)  # this run's console and socket paths

    async def _make(self, vm: EmbeddedVm) -> None:
        """Boot once, wait for the agent, save. The state appears whole or not at all."""
        dom = vm.libvirt_domain()
        partial = self.state.path.with_name(f".{self.state.path.name}.{os.getpid()}")
        with self._progress.step(f"booting the guest once to save its state for the next runs ({self.state.path})"):
            try:
                await _run(dom.create)
            except libvirt.libvirtError as err:
                raise BackendError(f"cannot start the embedded VM: {first_line(err)}") from None
            agent = vm.agent()
            await agent.connect()
            try:
                await agent.wait_ready(BOOT_GUARD)
            finally:
                await agent.close()
            try:
                await _run(dom.save, str(partial))
                partial.replace(self.state.path)
            finally:
                partial.unlink(missing_ok=True)
        for old in self.state.stale():
            old.unlink(missing_ok=True)

    async def refused(self, vm: EmbeddedVm, err: Exception) -> None:
        """One line saying so, then the state is made again by a cold boot and handed over."""
        self._progress.line(f"the saved guest state {self.state.path.name} was refused ({first_line(err)}): "
                            "booting the guest instead, and saving it again")
        self.managed.unlink(missing_ok=True)
        async with _locked(self.state.lock):
            self.state.path.unlink(missing_ok=True)
            await self._make(vm)
        await _run(self._hand_over, vm.connection, _xml(vm))

    async def start(self, vm: EmbeddedVm) -> None:
        """Start the domain from its managed save; a refused one is booted and saved anew."""
        dom = vm.libvirt_domain()
        if not self.managed.exists():  # used up by an earlier start of this domain
            await self.prepare(vm)
        try:
            await _run(dom.create)
        except libvirt.libvirtError as err:
            if not self.refused_on_start():
                raise BackendError(f"cannot start the embedded VM: {first_line(err)}") from None
            await self.refused(vm, err)
            await _run(dom.create)
        await self.settle(vm)

    def refused_on_start(self) -> bool:
        """libvirt removes the managed save once it restored it; one still there was refused."""
        return self.managed.exists()

    async def settle(self, vm: EmbeddedVm, agent: LibvirtGuestAgent | None = None) -> None:
        """Right after a restore: the agent answers `guest-sync` (which also drops anything
        half-read in the channel from before the save) and the guest's clock, stopped at the
        moment of the save, is set to now. Give the `agent` link already open on the VM's
        connection, if any: libvirt takes one agent-event listener per connection."""
        own = agent is None
        agent = agent or vm.agent()
        if own:
            await agent.connect()
        try:
            await agent.wait_ready(SETTLE_GUARD)
        finally:
            if own:
                await agent.close()
        dom = vm.libvirt_domain()
        await _run(sync_and_set_time, dom)
        self.restored = (await _run(dom.state))[1] == libvirt.VIR_DOMAIN_RUNNING_RESTORED


def sync_and_set_time(dom: libvirt.virDomain) -> None:
    token = int.from_bytes(os.urandom(4), "little") >> 1
    reply = json.loads(libvirt_qemu.qemuAgentCommand(
        dom, json.dumps({"execute": "guest-sync", "arguments": {"id": token}}), int(SETTLE_GUARD), 0))
    if reply.get("return") != token:
        raise BackendError(f"the restored guest's agent answered guest-sync with {reply}, not {token}")
    now = time.time_ns()
    dom.setTime({"seconds": now // 1_000_000_000, "nseconds": now % 1_000_000_000}, 0)


def _xml(vm: EmbeddedVm) -> str:
    return str(vm.libvirt_domain().XMLDesc(XML_FLAGS))


async def _run(fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


@contextlib.asynccontextmanager
async def _locked(path: Path) -> AsyncIterator[None]:
    """One maker of a state at a time across processes (parallel test runs wait for the first)."""
    with path.open("w") as lock:
        await _run(fcntl.flock, lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
