"""The VM backend: power, USB controllers and evdev inputs of one libvirt domain.

State is always read back from libvirt (live XML) and QEMU (QMP `qom-list`), never kept in
memory: a restarted daemon, or one that lost its connection, knows what the VM holds. Every
apply() first looks, then acts only on the difference, which is what makes steps idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import evdev
import libvirt
import libvirt_qemu

from modeswitch.errors import BackendError
from modeswitch.model import Step, StepKind
from modeswitch.observed import describe_host_usb
from modeswitch.parts.guest.backend import AgentState, channel_state
from modeswitch.parts.inputs.held_keys import EvdevHeldKeys, HeldKeys
from modeswitch.parts.protocols import UsbInventory
from modeswitch.parts.vm.connection import Connection, VmEvent
from modeswitch.parts.vm.domain_xml import (
    GRAB_TOGGLES,
    HostdevXml,
    UsbDeviceXml,
    device_aliases,
    evdev_input_xml,
    native_input_alias,
    our_input_objects,
    parse_native_inputs,
    parse_usb,
    qmp_get_evdev,
    qmp_id,
    qmp_input_add,
    qmp_list_objects,
    qmp_object_del,
    qmp_result,
    usb_alias,
)
from modeswitch.parts.vm.spec import AttachedInput, AttachedUsb, VmObservation

__all__ = ["LibvirtBackend", "VmEvent"]

NATIVE_EVDEV_HOTPLUG = 10_004_000  # libvirt 10.4.0: live attach of <input type='evdev'>
MINIMUM_LIBVIRT = 3_009_000  # 3.9.0: user aliases, which is how we recognise our devices
LIVE = libvirt.VIR_DOMAIN_AFFECT_LIVE
STATES = {
    libvirt.VIR_DOMAIN_RUNNING: "running", libvirt.VIR_DOMAIN_BLOCKED: "running",
    libvirt.VIR_DOMAIN_PAUSED: "paused", libvirt.VIR_DOMAIN_SHUTDOWN: "shutdown",
    libvirt.VIR_DOMAIN_SHUTOFF: "shutoff", libvirt.VIR_DOMAIN_CRASHED: "crashed",
    libvirt.VIR_DOMAIN_PMSUSPENDED: "pmsuspended",
}
Held = list[tuple[AttachedInput, str | None]]  # input, and its device XML when native


def _version(number: int) -> str:
    return f"{number // 1_000_000}.{number // 1000 % 1000}.{number % 1000}"


def _state(dom: libvirt.virDomain) -> str:
    return STATES.get(dom.state()[0], "unknown")


def _agent(xml: str, state: str) -> str:
    """The guest agent channel as status reports it; only a running VM can have it connected."""
    channel = channel_state(xml)
    if channel is AgentState.NO_CHANNEL or state in ("running", "paused"):
        return channel.value
    return AgentState.VM_OFF.value


def _same_usb(attached: AttachedUsb, args: Mapping[str, Any]) -> bool:
    if (attached.vendor, attached.product) != (args["vendor"], args["product"]):
        return False
    return all(mine is None or want is None or mine == want for mine, want in
               ((attached.bus, args.get("bus")), (attached.device, args.get("device"))))


class LibvirtBackend:
    """VmBackend over libvirt-python. Build it, `await connect()`, then observe/apply.

    `on_event` is called on the event loop thread for the configured domain's lifecycle
    (STARTED, STOPPED, PAUSED, RESUMED) and for the connection (DISCONNECTED, RECONNECTED).
    """

    kinds = frozenset({StepKind.VM_START, StepKind.VM_RESUME, StepKind.USB_ATTACH,
                       StepKind.USB_DETACH, StepKind.INPUT_ATTACH, StepKind.INPUT_DETACH})

    def __init__(self, uri: str, domain: str, inventory: UsbInventory,
                 on_event: Callable[[VmEvent], None] = lambda _event: None, *,
                 usb_xml: UsbDeviceXml | None = None, held_keys: HeldKeys | None = None,
                 start_timeout: float = 30.0, key_timeout: float = 5.0, poll: float = 0.05,
                 backoff: tuple[float, float] = (0.1, 5.0)) -> None:
        self.uri, self.domain = uri, domain
        self._inventory = inventory
        self._usb_xml = usb_xml or HostdevXml()
        self._held_keys = held_keys or EvdevHeldKeys()
        self._start_timeout, self._key_timeout, self._poll = start_timeout, key_timeout, poll
        self._conn = Connection(uri, domain, on_event, backoff)
        self._handlers: dict[StepKind, Callable[[Step], Awaitable[None]]] = {
            StepKind.VM_START: self._power_on, StepKind.VM_RESUME: self._power_on,
            StepKind.USB_ATTACH: self._usb_attach, StepKind.USB_DETACH: self._usb_detach,
            StepKind.INPUT_ATTACH: self._input_attach, StepKind.INPUT_DETACH: self._input_detach,
        }

    @property
    def connected(self) -> bool:
        return self._conn.connected

    async def connect(self) -> None:
        """Open the connection; BackendError (one line, with a hint) when that is impossible."""
        await self._conn.open()
        if self._conn.version < MINIMUM_LIBVIRT:
            await self._conn.close()
            raise BackendError(f"libvirt {_version(self._conn.version)} is too old",
                               f"modeswitch needs libvirt >= {_version(MINIMUM_LIBVIRT)}")

    def connect_in_background(self) -> None:
        """After a failed connect(): keep trying; RECONNECTED is reported when it works."""
        self._conn.keep_trying()

    async def close(self) -> None:
        await self._conn.close()

    async def observe(self) -> VmObservation:
        if not self._conn.connected:
            return VmObservation(self.domain, False, "unknown", error=self._conn.error)
        try:
            dom = await self._conn.domain()
            state, xml = await self._conn.call(lambda: (_state(dom), dom.XMLDesc(0)))
            held = await self._inputs(dom, xml) if state in ("running", "paused") else []
        except BackendError as err:
            return VmObservation(self.domain, self._conn.connected, "unknown", error=str(err))
        except (libvirt.libvirtError, ValueError) as err:
            return VmObservation(self.domain, self._conn.connected, "unknown",
                                 error=f"cannot read domain '{self.domain}': {err}")
        return VmObservation(self.domain, True, state, parse_usb(xml), tuple(i for i, _ in held),
                             agent=_agent(xml, state))

    async def apply(self, step: Step) -> None:
        handler = self._handlers.get(step.kind)
        if handler is None:
            raise BackendError(f"the libvirt backend cannot apply {step.kind}")
        try:
            await handler(step)
        except libvirt.libvirtError as err:
            what = step.description or f"{step.kind} {step.target}"
            raise BackendError(f"{what}: {err.get_error_message() or err}") from None

    # --- power -------------------------------------------------------------------------

    async def _power_on(self, step: Step) -> None:
        """Start or resume, whichever the VM needs now, then wait (bounded) until it runs."""
        dom = await self._conn.domain()
        state = await self._conn.call(_state, dom)
        if state == "paused":
            await self._conn.call(dom.resume)
        elif state in ("shutoff", "crashed"):
            await self._conn.call(dom.create)
        elif state != "running":
            raise BackendError(f"VM '{self.domain}' is {state}; not starting it now",
                               "wait until it has shut down, then switch again")
        await self._wait_running(dom)

    async def _wait_running(self, dom: libvirt.virDomain) -> None:
        deadline = asyncio.get_running_loop().time() + self._start_timeout
        while (state := await self._conn.call(_state, dom)) != "running":
            if asyncio.get_running_loop().time() >= deadline:
                raise BackendError(f"VM '{self.domain}' did not reach running (it is {state})")
            await asyncio.sleep(self._poll)

    # --- USB ---------------------------------------------------------------------------
    # Steps act on what the plan observed: no re-read of the domain state, the live XML or
    # sysfs before acting. libvirt refuses a device that is already there (or already gone);
    # only then is the live XML read, once, to tell "already done" from a real failure.

    async def _held_usb(self, dom: libvirt.virDomain) -> tuple[AttachedUsb, ...]:
        return parse_usb(await self._conn.call(dom.XMLDesc, 0))

    async def _usb_attach(self, step: Step) -> None:
        args = step.args
        dom = await self._conn.domain()
        xml = self._usb_xml.usb_xml(args["vendor"], args["product"], args.get("bus"), args.get("device"))
        try:
            await self._conn.call(dom.attachDeviceFlags, xml, LIVE)
        except libvirt.libvirtError:
            await self._still_running(dom, step)
            if any(_same_usb(held, args) for held in await self._held_usb(dom)):
                return  # it was attached already: the step is done
            self._explain_absent(args)
            raise

    def _explain_absent(self, args: Mapping[str, Any]) -> None:
        """On a failed attach only: a sysfs look says whether the device left the host."""
        host = self._inventory.scan()
        if not any(_same_usb(AttachedUsb(d.vendor, d.product, d.bus, d.device, ""), args) for d in host):
            ident = f"{args['vendor']:04x}:{args['product']:04x}"
            raise BackendError(f"USB device {ident} ({args.get('label') or '?'}) is not present",
                               describe_host_usb(host))

    async def _usb_detach(self, step: Step) -> None:
        """By the live alias the plan observed, or, for the undo of our own attach, the alias
        we gave it; libvirt saying there is no such device means it is gone already."""
        args = step.args
        alias = args.get("alias") or usb_alias(args["vendor"], args["product"], args.get("bus"), args.get("device"))
        await self._detach(await self._conn.domain(), str(alias), step)

    async def _still_running(self, dom: libvirt.virDomain, step: Step) -> None:
        """Before a refusal is read as "already done": a step acts on the running VM the plan
        saw, and a VM that is gone since (destroyed, crashed, shut down) fails it instead."""
        state = await self._conn.call(_state, dom)
        if state not in ("running", "paused"):
            raise BackendError(f"{step.description or step.target}: VM '{self.domain}' is {state} now",
                               "it stopped during the switch; start it, then switch again")

    async def _detach(self, dom: libvirt.virDomain, alias: str, step: Step) -> None:
        """By alias, libvirt only asks the guest and returns; detachDeviceFlags would hold the
        domain job until the guest answers, so pads released in one group would queue up.
        Completion comes as a DEVICE_REMOVED event; the live XML is read only if it is late."""
        removed = self._conn.removal(alias)
        try:
            try:
                await self._conn.call(dom.detachDeviceAlias, alias, LIVE)
            except libvirt.libvirtError:
                await self._still_running(dom, step)
                if alias not in device_aliases(await self._conn.call(dom.XMLDesc, 0)):
                    return  # not there: detached already
                raise
            deadline = asyncio.get_running_loop().time() + self._start_timeout
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(removed.wait(), 0.5)
                    return
                if alias not in device_aliases(await self._conn.call(dom.XMLDesc, 0)):
                    return
                if asyncio.get_running_loop().time() >= deadline:
                    raise BackendError(f"the VM did not release {step.target}", "is the guest hung?")
        finally:
            self._conn.forget_removal(alias)

    # --- evdev inputs ------------------------------------------------------------------

    async def _inputs(self, dom: libvirt.virDomain, xml: str | None = None) -> Held:
        """Native evdev devices from the live XML, plus our input-linux objects from QMP."""
        live = xml if xml is not None else await self._conn.call(dom.XMLDesc, 0)
        held: Held = [(attached, fragment) for attached, fragment in parse_native_inputs(live)]
        if self._native_evdev:
            return held
        objects = our_input_objects(await self._qmp(dom, qmp_list_objects()))
        for object_id in objects:
            held.append((AttachedInput(str(await self._qmp(dom, qmp_get_evdev(object_id))), object_id), None))
        return held

    @property
    def _native_evdev(self) -> bool:
        return self._conn.version >= NATIVE_EVDEV_HOTPLUG

    async def _qmp(self, dom: libvirt.virDomain, command: str) -> Any:
        reply = await self._conn.call(libvirt_qemu.qemuMonitorCommand, dom, command, 0)
        return qmp_result(reply)

    async def _holds_input(self, dom: libvirt.virDomain, path: str) -> bool:
        return any(attached.path == path for attached, _ in await self._inputs(dom))

    async def _input_attach(self, step: Step) -> None:
        path, toggle = str(step.args["path"]), str(step.args.get("grab_toggle", "ctrl-ctrl"))
        if toggle not in GRAB_TOGGLES:
            raise BackendError(f"unknown grab toggle '{toggle}'", "one of " + ", ".join(GRAB_TOGGLES))
        dom = await self._conn.domain()
        await self._wait_keys_released(path)
        grab_all, repeat = bool(step.args.get("grab_all", True)), bool(step.args.get("repeat", True))
        try:
            if self._native_evdev:
                await self._conn.call(dom.attachDeviceFlags, evdev_input_xml(path, grab_all, toggle, repeat), LIVE)
            else:
                await self._qmp(dom, qmp_input_add(path, grab_all, toggle, repeat))
        except (libvirt.libvirtError, ValueError) as err:
            await self._still_running(dom, step)
            if await self._holds_input(dom, path):
                return  # given to the VM already
            if isinstance(err, libvirt.libvirtError):
                raise
            raise BackendError(f"QEMU refused input {path}: {err}",
                               "the path must be an evdev node such as /dev/input/by-id/…-event-kbd") from None

    async def _wait_keys_released(self, path: str) -> None:
        deadline = asyncio.get_running_loop().time() + self._key_timeout
        while held := self._held_keys.held_keys(path):
            if asyncio.get_running_loop().time() >= deadline:
                names = ", ".join(sorted(str(evdev.ecodes.KEY.get(code, code)) for code in held))
                raise BackendError(f"not grabbing {path}: keys still held ({names})",
                                   "release every key, then switch again")
            await asyncio.sleep(self._poll)

    async def _input_detach(self, step: Step) -> None:
        """Our own input by the name we gave it (native alias or QMP object id)."""
        path = str(step.args["path"])
        dom = await self._conn.domain()
        if self._native_evdev:
            await self._detach(dom, native_input_alias(path), step)
            return
        try:
            await self._qmp(dom, qmp_object_del(qmp_id(path)))
        except libvirt.libvirtError:
            await self._still_running(dom, step)
            raise
        except ValueError:
            if await self._holds_input(dom, path):
                raise
