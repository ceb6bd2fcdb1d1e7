"""The connection dropping under the backend: a private session libvirtd is killed and
restarted; the backend reports it, keeps answering observe(), reconnects and reads back."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator

import libvirt
import pytest
from libvirt_fixtures import Events, PrivateLibvirtd
from support.loop import run

from modeswitch.errors import BackendError
from modeswitch.parts.usb.sysfs import SysfsUsbInventory
from modeswitch.parts.vm.backend import LibvirtBackend
from modeswitch.parts.vm.connection import VmEvent
from modeswitch.sandbox.embedded_vm import domain_xml


@pytest.fixture
def daemon() -> Iterator[PrivateLibvirtd]:
    private = PrivateLibvirtd()
    try:
        private.start()
        conn = libvirt.open(private.uri)
        conn.defineXML(domain_xml("win11", shutil.which("qemu-system-x86_64") or "qemu"))
        conn.close()
        yield private
    finally:
        private.remove()


def test_connection_loss_is_reported_and_recovered(daemon: PrivateLibvirtd) -> None:
    events = Events()
    backend = LibvirtBackend(daemon.uri, "win11", SysfsUsbInventory(daemon.home / "no-usb"),
                             events, backoff=(0.05, 0.2))
    run(backend.connect())
    try:
        assert run(backend.observe()).state == "shutoff"
        daemon.stop()
        run(events.wait(VmEvent.DISCONNECTED))
        lost = run(backend.observe())
        assert (lost.connected, lost.state) == (False, "unknown") and lost.error
        daemon.start()
        run(events.wait(VmEvent.RECONNECTED))
        back = run(backend.observe())
        assert (back.connected, back.state, back.error) == (True, "shutoff", None)
    finally:
        run(backend.close())



def test_libvirt_not_up_yet_at_start_is_retried_in_the_background(daemon: PrivateLibvirtd) -> None:
    """A daemon started before libvirtd (login order) must not stay disconnected forever."""
    events = Events()
    daemon.stop()
    backend = LibvirtBackend(daemon.uri, "win11", SysfsUsbInventory(daemon.home / "no-usb"),
                             events, backoff=(0.05, 0.2))
    try:
        with pytest.raises(BackendError, match="cannot reach libvirt"):
            run(backend.connect())
        down = run(backend.observe())
        assert (down.connected, down.state) == (False, "unknown")
        assert down.error is not None and "cannot reach libvirt" in down.error
        run(_in_loop(backend.connect_in_background))
        daemon.start()
        run(events.wait(VmEvent.RECONNECTED))
        up = run(backend.observe())
        assert (up.connected, up.state, up.error) == (True, "shutoff", None)
    finally:
        run(backend.close())


async def _in_loop(call: Callable[[], None]) -> None:
    call()
