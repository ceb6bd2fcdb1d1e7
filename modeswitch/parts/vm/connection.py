"""The libvirt connection: event loop, lifecycle events, and reconnecting when it drops.

All blocking libvirt calls go through one worker thread (`Connection.call`). A live attach
is ~5 ms, but starting a domain, a remote URI or a busy libvirtd can take seconds, and the
daemon's loop must keep reading gamepads meanwhile. One thread (not a pool) keeps calls in
the order they were made, which libvirt serialises per domain anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum
from typing import Any, TypeVar

import libvirt
import libvirtaio

from modeswitch.errors import BackendError
from modeswitch.logsink import error_handler

T = TypeVar("T")


class VmEvent(StrEnum):
    STARTED = "started"
    STOPPED = "stopped"
    PAUSED = "paused"
    RESUMED = "resumed"
    DISCONNECTED = "disconnected"
    RECONNECTED = "reconnected"


LIFECYCLE = {
    libvirt.VIR_DOMAIN_EVENT_STARTED: VmEvent.STARTED,
    libvirt.VIR_DOMAIN_EVENT_SUSPENDED: VmEvent.PAUSED,
    libvirt.VIR_DOMAIN_EVENT_PMSUSPENDED: VmEvent.PAUSED,
    libvirt.VIR_DOMAIN_EVENT_RESUMED: VmEvent.RESUMED,
    libvirt.VIR_DOMAIN_EVENT_STOPPED: VmEvent.STOPPED,
    libvirt.VIR_DOMAIN_EVENT_CRASHED: VmEvent.STOPPED,
}

PERMISSION_HINT = "join the 'libvirt' group (usermod -aG libvirt $USER) and log in again"


class ThreadSafeAsyncIOImpl(libvirtaio.virEventAsyncIOImpl):
    """libvirtaio, safe when libvirt touches timers and handles from its own threads.

    The embedded driver (and any call made in our worker thread) queues events from a
    non-loop thread; stock libvirtaio then schedules with loop.call_soon, which does not wake
    an idle loop, so a device-removed or VM-stopped event would wait for the next unrelated
    wake-up. Here off-thread updates are handed over with call_soon_threadsafe.

    After the loop has closed (the daemon stopped; libvirt's drivers drop their handles at
    process exit), there is nothing left to arm or to wake: updates are dropped and free
    callbacks are skipped (the process is ending), instead of raising "Event loop is closed"
    from libvirt's threads.
    """

    def _off_loop(self) -> bool:
        try:
            return asyncio.get_running_loop() is not self.loop
        except RuntimeError:
            return True

    def _update_timeout(self, timer: int, timeout: int) -> None:
        if self.loop.is_closed():
            return
        if self._off_loop():
            self.loop.call_soon_threadsafe(self._update_timeout_if_alive, timer, timeout)
        else:
            super()._update_timeout(timer, timeout)

    def _update_handle(self, watch: int, event: int) -> None:
        if self.loop.is_closed():
            return
        if self._off_loop():
            self.loop.call_soon_threadsafe(self._update_handle_if_alive, watch, event)
        else:
            super()._update_handle(watch, event)

    def _update_timeout_if_alive(self, timer: int, timeout: int) -> None:
        """Handed-over updates can arrive after libvirt already removed the timer."""
        if timer in self.callbacks:
            super()._update_timeout(timer, timeout)

    def _update_handle_if_alive(self, watch: int, event: int) -> None:
        if watch in self.callbacks:
            super()._update_handle(watch, event)

    def _add_timeout(self, timeout: int, cb: Any, opaque: Any) -> int:
        if self.loop.is_closed():
            return -1
        if not self._off_loop():
            return int(super()._add_timeout(timeout, cb, opaque))
        timer = int(super()._add_timeout(-1, cb, opaque))  # registered now, armed on the loop
        self.loop.call_soon_threadsafe(self._update_timeout_if_alive, timer, timeout)
        return timer

    def _add_handle(self, fd: int, event: int, cb: Any, opaque: Any) -> int:
        if self.loop.is_closed():
            return -1
        if not self._off_loop():
            return int(super()._add_handle(fd, event, cb, opaque))
        watch = int(super()._add_handle(fd, 0, cb, opaque))  # registered now, watched on the loop
        self.loop.call_soon_threadsafe(self._update_handle_if_alive, watch, event)
        return watch

    def schedule_ff_callback(self, iden: int, opaque: Any) -> None:
        if self.loop.is_closed():
            return  # freeing here, on libvirt's thread and under its locks, can deadlock the exit
        self.loop.call_soon_threadsafe(super().schedule_ff_callback, iden, opaque)


def ensure_event_loop(registry: list[ThreadSafeAsyncIOImpl]) -> None:
    """libvirt takes one event implementation per process, for good: bind it to the running
    asyncio loop the first time, and refuse clearly if it is bound to another loop.
    `registry` is the process-wide record of that one registration (see `EVENT_IMPL`)."""
    loop = asyncio.get_running_loop()
    if not registry and libvirtaio.getCurrentImpl() is None:
        # Errors arrive as exceptions; libvirt's own report of each goes to the debug log.
        libvirt.registerErrorHandler(error_handler(logging.getLogger("modeswitch.libvirt")), None)
        registry.append(ThreadSafeAsyncIOImpl(loop=loop).register())
    current = registry[0] if registry else libvirtaio.getCurrentImpl()
    if current is None or current.loop is not loop:
        raise BackendError("libvirt's event loop is bound to another asyncio loop",
                           "use a single asyncio event loop per process")


# libvirt's event implementation is process-wide by libvirt's design; this list mirrors that
# one fact (it is filled at run time by the first connection, never at import).
EVENT_IMPL: list[ThreadSafeAsyncIOImpl] = []


def connect_error(uri: str, err: libvirt.libvirtError) -> BackendError:
    text = (err.get_error_message() or str(err)).strip()
    lowered = text.lower()
    if "permission denied" in lowered or "authentication" in lowered or "access denied" in lowered:
        return BackendError(f"permission denied opening {uri}: {text}", PERMISSION_HINT)
    return BackendError(f"cannot reach libvirt at {uri}: {text}",
                        "is libvirtd/virtqemud running, and is the URI right?")


def open_connection(uri: str) -> libvirt.virConnect:
    try:
        conn = libvirt.open(uri)
    except libvirt.libvirtError as err:
        raise connect_error(uri, err) from None
    if "+" in uri.split(":", 1)[0]:
        # qemu+ssh://, qemu+tcp://: notice a dead peer. Not for local URIs, where a dead
        # libvirtd closes the socket anyway and keepalive would wake an idle daemon every 5 s.
        with contextlib.suppress(libvirt.libvirtError):
            conn.setKeepAlive(5, 3)
    return conn


def defined_names(conn: libvirt.virConnect) -> list[str]:
    return sorted(dom.name() for dom in conn.listAllDomains(0))


def lookup_domain(conn: libvirt.virConnect, uri: str, name: str) -> libvirt.virDomain:
    try:
        return conn.lookupByName(name)
    except libvirt.libvirtError as err:
        if err.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
            raise BackendError(f"cannot look up domain '{name}': {err}") from None
    names = ", ".join(defined_names(conn)) or "none"
    raise BackendError(f"domain '{name}' is not defined at {uri}", f"defined domains: {names}")


class Connection:
    """One virConnect plus its callbacks; reopens it with backoff when it closes under us."""

    def __init__(self, uri: str, domain: str, on_event: Callable[[VmEvent], None],
                 backoff: tuple[float, float] = (0.1, 5.0)) -> None:
        self.uri, self.domain_name, self._on_event = uri, domain, on_event
        self._backoff = backoff
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="libvirt")
        self._conn: libvirt.virConnect | None = None
        self._handle: tuple[libvirt.virConnect, libvirt.virDomain] | None = None  # see domain()
        self._callback_ids: list[int] = []
        self._removals: dict[str, asyncio.Event] = {}
        self._reconnecting: asyncio.Task[None] | None = None
        self._closing = False
        self.error: str | None = None
        self.version = 0  # of the libvirt that runs the VM, read on every (re)connect

    @property
    def connected(self) -> bool:
        return self._conn is not None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """A blocking call on the worker thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    async def open(self) -> None:
        ensure_event_loop(EVENT_IMPL)
        try:
            conn = await self.run(open_connection, self.uri)
        except BackendError as err:
            self.error = str(err)
            raise
        await self.run(self._register, conn)
        self.version = int(await self.run(conn.getLibVersion))
        self._conn, self.error = conn, None

    def keep_trying(self) -> None:
        """Not reachable at start (libvirtd comes up after the session, say): keep trying in
        the background, with the same backoff as after a lost connection."""
        if self._conn is None and self._reconnecting is None and not self._closing:
            self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    def _register(self, conn: libvirt.virConnect) -> None:
        conn.registerCloseCallback(self._closed, None)
        self._callback_ids = [
            conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, self._lifecycle, None),
            conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, self._removed, None),
        ]

    def removal(self, alias: str) -> asyncio.Event:
        """An Event set when the guest has let go of the device `alias` (call before detaching)."""
        return self._removals.setdefault(alias, asyncio.Event())

    def forget_removal(self, alias: str) -> None:
        self._removals.pop(alias, None)

    def _removed(self, _conn: Any, dom: libvirt.virDomain, alias: str, _opaque: Any) -> None:
        if dom.name() == self.domain_name and alias in self._removals:
            self._removals[alias].set()

    def _lifecycle(self, _conn: Any, dom: libvirt.virDomain, event: int, _detail: int, _o: Any) -> None:
        mapped = LIFECYCLE.get(event)
        if mapped is not None and dom.name() == self.domain_name:
            self._on_event(mapped)

    def _closed(self, _conn: Any, reason: int, _opaque: Any) -> None:
        if not self._closing:
            self.lost(f"connection to {self.uri} closed (reason {reason})")

    def lost(self, why: str) -> None:
        """Forget the connection, tell the daemon, and reconnect in the background."""
        if self._conn is None or self._closing:
            return
        self._conn, self.error = None, why
        self._on_event(VmEvent.DISCONNECTED)
        self._reconnecting = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        delay = self._backoff[0]
        while not self._closing:
            await asyncio.sleep(delay)
            try:
                await self.open()
            except BackendError as err:
                self.error = str(err)
                delay = min(delay * 2, self._backoff[1])
                continue
            self._on_event(VmEvent.RECONNECTED)
            return

    async def domain(self) -> libvirt.virDomain:
        """The domain's handle, looked up once per connection: a step should not pay a
        lookup round trip. A handle whose domain was undefined is dropped on first failure."""
        conn = self._conn
        if conn is None:
            raise BackendError(f"libvirt is not connected: {self.error}", "it reconnects by itself")
        if self._handle is not None and self._handle[0] is conn:
            return self._handle[1]
        dom = await self.call(lookup_domain, conn, self.uri, self.domain_name)
        self._handle = (conn, dom)
        return dom

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """run(), and when libvirt fails because the connection is gone, start reconnecting."""
        conn = self._conn
        try:
            return await self.run(fn, *args)
        except libvirt.libvirtError as err:
            if err.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                self._handle = None  # undefined (and maybe defined anew): look it up next time
            if conn is not None and not await self.run(_alive, conn):
                self.lost(f"connection to {self.uri} lost")
            raise

    async def close(self) -> None:
        self._closing = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnecting
        conn, self._conn = self._conn, None
        if conn is not None:
            await self.run(self._unregister, conn)
        self._executor.shutdown(wait=False)

    def _unregister(self, conn: libvirt.virConnect) -> None:
        with contextlib.suppress(libvirt.libvirtError):
            for callback_id in self._callback_ids:
                conn.domainEventDeregisterAny(callback_id)
            conn.unregisterCloseCallback()
        with contextlib.suppress(libvirt.libvirtError):
            conn.close()


def _alive(conn: libvirt.virConnect) -> bool:
    try:
        return bool(conn.isAlive())
    except libvirt.libvirtError:
        return False
