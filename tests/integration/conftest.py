"""Fixtures shared by the integration tests (helpers that are not fixtures live in the
*_fixtures.py modules beside this file)."""

from __future__ import annotations

from collections.abc import Iterator

import libvirt
import pytest
from daemon_fixtures import Tree, make_tree
from libvirt_fixtures import PrivateLibvirtd
from pulse_fixtures import SoundServers

from modeswitch.sandbox.embedded_vm import domain_xml
from modeswitch.sandbox.private_pipewire import PrivatePipeWire
from modeswitch.sandbox.private_pulse import PrivatePulse

QEMU = "/usr/bin/qemu-system-x86_64"
DOMAINS = ("msw-first", "msw-second")


@pytest.fixture(scope="session")
def private_libvirtd() -> Iterator[PrivateLibvirtd]:
    """One session libvirtd for the whole run: each start probes QEMU, which takes seconds.

    Tests that use it must not make the test process a child subreaper: QEMU daemonizes away
    from libvirtd and, as our orphan, would sit unreaped as a zombie while libvirtd waits
    for it to die on every destroy (40 s each)."""
    daemon = PrivateLibvirtd()
    try:
        daemon.start()
        yield daemon
    finally:
        daemon.remove()


@pytest.fixture
def libvirtd(private_libvirtd: PrivateLibvirtd) -> Iterator[tuple[PrivateLibvirtd, libvirt.virConnect]]:
    """The shared libvirtd with two shut-off disk-less domains, removed afterwards."""
    conn = libvirt.open(private_libvirtd.uri)
    try:
        for name in DOMAINS:
            conn.defineXML(domain_xml(name, QEMU))
        yield private_libvirtd, conn
    finally:
        for dom in conn.listAllDomains():
            if dom.isActive():
                dom.destroy()
            dom.undefine()
        conn.close()


@pytest.fixture
def vm_tree() -> Iterator[Tree]:
    """A daemon tree for tests on the shared libvirtd: no child subreaper (see above), so the
    daemon, not the test, reaps what it starts."""
    tree = make_tree()
    try:
        yield tree
    finally:
        tree.cleanup()


@pytest.fixture(scope="session")
def private_pipewire() -> Iterator[PrivatePipeWire]:
    """One PipeWire + WirePlumber + pipewire-pulse for the run, as a user's session has one:
    tests borrow sinks on it (PrivatePipeWire.borrowed) and give them back; WirePlumber's
    memory is shared, which is why every stream is its own application unless a test names one."""
    with PrivatePipeWire([]) as server:
        yield server


@pytest.fixture(params=["pulseaudio", "pipewire"])
def sound(request: pytest.FixtureRequest) -> SoundServers:
    """`with sound(sinks) as server:` — a fresh PulseAudio, or sinks on the shared PipeWire."""
    if request.param == "pulseaudio":
        return PrivatePulse
    server: PrivatePipeWire = request.getfixturevalue("private_pipewire")
    return server.borrowed
