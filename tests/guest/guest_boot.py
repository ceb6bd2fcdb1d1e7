"""The real guest boots from the cached Debian-built image and answers through its agent."""

from __future__ import annotations

import pytest
from conftest import BootedGuest
from support.loop import run

from modeswitch.errors import BackendError
from modeswitch.parts.guest.backend import AgentState, channel_state
from modeswitch.sandbox.guest_image import MODULES, GuestImage, ensure_guest
from modeswitch.sandbox.guest_view import guest_usb


def test_image_is_reused_while_inputs_stay(guest_image: GuestImage) -> None:
    before = guest_image.initrd.stat().st_mtime_ns
    again = ensure_guest(guest_image.initrd.parent.parent)
    assert again == guest_image
    assert again.initrd.stat().st_mtime_ns == before


def test_guest_kernel_loaded_the_modules(booted_guest: BootedGuest) -> None:
    """Every module the image carries is loaded (a kernel with some built in carries fewer)."""
    done = run(booted_guest.agent.run(["cat", "/proc/modules"], 30))
    loaded = {line.split()[0] for line in done.stdout.splitlines()}
    carried = run(booted_guest.agent.run(["ls", "/lib/modules"], 30)).stdout.split()
    assert done.exit_code == 0 and carried
    assert {name.removesuffix(".ko") for name in carried} <= set(MODULES)
    assert {name.removesuffix(".ko").replace("-", "_") for name in carried} <= loaded


def test_guest_sees_its_xhci_bus_and_no_usb_device_yet(booted_guest: BootedGuest) -> None:
    hubs = run(booted_guest.agent.run(["ls", "/sys/bus/usb/devices"], 30)).stdout.split()
    assert "usb1" in hubs and "usb2" in hubs  # the xHCI's USB 2 and USB 3 root hubs
    assert run(guest_usb(booted_guest.agent)) == ()


def test_agent_reports_connected_and_captures_output(booted_guest: BootedGuest) -> None:
    assert run(booted_guest.agent.state()) is AgentState.CONNECTED
    done = run(booted_guest.agent.run(["sh", "-c", "echo out; echo first >&2; echo last >&2; exit 3"], 30))
    assert (done.exit_code, done.stdout, done.last_error_line) == (3, "out\n", "last")


def test_missing_program_is_one_line(booted_guest: BootedGuest) -> None:
    with pytest.raises(BackendError, match="'/no/such/tool' does not exist in the guest") as caught:
        run(booted_guest.agent.run(["/no/such/tool", "--flag"], 30))
    assert "\n" not in str(caught.value)


def test_live_xml_channel_state(booted_guest: BootedGuest) -> None:
    conn = booted_guest.vm.connection
    assert conn is not None
    xml = conn.lookupByName(booted_guest.vm.domain).XMLDesc(0)
    assert channel_state(xml) is AgentState.CONNECTED
