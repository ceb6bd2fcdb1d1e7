"""The suite's guests are restored from their saved state, not booted, and a state QEMU refuses
is said in one line, booted cold and saved again (modeswitch/sandbox/saved_state.py). That
USB hot-plug, evdev inputs and the agent work after a restore is what the other guest modules
check, on these restored guests."""

from __future__ import annotations

import os
import time

import libvirt
from conftest import BootedGuest
from support.loop import run, shared_root

from modeswitch.sandbox.embedded_vm import EmbeddedVm
from modeswitch.sandbox.guest_image import GuestImage
from modeswitch.sandbox.progress import Progress


def test_the_shared_guest_was_restored_not_booted(booted_guest: BootedGuest) -> None:
    warm = booted_guest.vm.warm
    assert warm is not None and warm.restored
    assert booted_guest.vm.libvirt_domain().state()[1] == libvirt.VIR_DOMAIN_RUNNING_RESTORED
    assert warm.state.path.parent == booted_guest.vm.guest.kernel.parent  # type: ignore[union-attr]
    assert warm.state.path.stat().st_size > 0
    assert not warm.managed.exists()  # libvirt used up the copy it was given


def test_the_restored_guests_clock_is_set_to_now(booted_guest: BootedGuest) -> None:
    """The saved guest's clock stopped when it was saved, maybe days ago."""
    done = run(booted_guest.agent.run(["date", "+%s"], 30))
    assert done.exit_code == 0 and abs(int(done.stdout) - time.time()) < 30, done.stdout


def test_a_state_qemu_refuses_is_one_line_then_a_cold_boot_and_a_new_state(guest_image: GuestImage) -> None:
    said: list[str] = []
    vm = EmbeddedVm("modeswitch-refused", pads=0, root=shared_root(), guest=guest_image, start=False,
                    progress=Progress(said.append))
    run(vm.__aenter__())  # the first run ever also makes this definition's state here
    try:
        warm = vm.warm
        assert warm is not None and warm.managed.exists()
        whole = warm.managed.stat().st_size
        os.truncate(warm.managed, whole // 2)  # what QEMU is handed is cut off halfway
        said.clear()
        run(vm.start())
        text = "".join(said)
        refused = [line for line in text.splitlines() if "was refused" in line]
        assert len(refused) == 1, text
        assert refused[0].startswith(f"the saved guest state {warm.state.path.name} was refused (")
        assert refused[0].endswith("booting the guest instead, and saving it again"), text
        assert "booting the guest once to save its state for the next runs" in text and " done in " in text
        assert warm.state.path.stat().st_size >= whole // 2 + 1  # saved again, whole
        assert warm.restored  # and started from that new state
        agent = vm.agent()
        run(agent.connect())
        try:
            assert run(agent.run(["true"], 30)).exit_code == 0
        finally:
            run(agent.close())
    finally:
        run(vm.__aexit__(None, None, None))
