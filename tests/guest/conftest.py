"""Session fixtures: one real Linux guest, restored once and shared by the tests that need it.

The guest comes from its saved state (modeswitch/sandbox/saved_state.py): booted, saved and
cached the first time, restored in about a second afterwards. Every test that only attaches,
detaches and looks from inside shares this one VM and leaves it as it found it (no stand-in
attached). The long first steps (building the image, saving the booted guest) print one line
each on the terminal: what is being done and how long it took.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# This suite runs with its own rootdir (also inside the Debian 13 root), so the shared test
# support code is put on the path here, where the rest of the suite finds it through tests/.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.loop import run, shared_root  # noqa: E402

from modeswitch.parts.guest.backend import LibvirtGuestAgent
from modeswitch.parts.vm.backend import LibvirtBackend
from modeswitch.sandbox.embedded_vm import EmbeddedVm
from modeswitch.sandbox.guest_image import GuestImage, ensure_guest
from modeswitch.sandbox.progress import Progress

BOOT_GUARD = 180.0  # seconds for the guest to boot on a loaded 2-core machine; a hang guard
GUEST_PADS = 2


@pytest.fixture(scope="session")
def progress(pytestconfig: pytest.Config) -> Progress:
    """Progress lines on pytest's terminal, past its output capture (which holds a fixture's
    output otherwise, until a test fails)."""
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")

    def write(text: str) -> None:
        if reporter is None or capture is None:
            return
        with capture.global_and_fixture_disabled():
            if not text.endswith("\n"):
                reporter.ensure_newline()
            reporter.write(text, flush=True)
    return Progress(write)


@pytest.fixture(scope="session")
def guest_image(progress: Progress) -> GuestImage:
    return ensure_guest(progress=progress)


class BootedGuest:
    """A running embedded VM with the real guest, and an agent link that answered."""

    def __init__(self, vm: EmbeddedVm, agent: LibvirtGuestAgent, backend: LibvirtBackend) -> None:
        self.vm, self.agent, self.backend = vm, agent, backend


@pytest.fixture(scope="session")
def booted_guest(guest_image: GuestImage, progress: Progress) -> Iterator[BootedGuest]:
    vm = EmbeddedVm("modeswitch-guest", pads=GUEST_PADS, root=shared_root(), guest=guest_image, progress=progress)
    run(vm.__aenter__())
    agent = vm.agent()
    backend = vm.backend()  # one for the session: each embedded connection is scarce
    try:
        run(agent.connect())
        run(backend.connect())
        try:
            run(agent.wait_ready(BOOT_GUARD))
        except Exception as exc:
            console = vm.console_log.read_text(errors="replace")[-3000:] if vm.console_log.exists() else ""
            raise AssertionError(f"the guest never answered: {exc}\nconsole:\n{console}") from None
        yield BootedGuest(vm, agent, backend)
    finally:
        run(backend.close())
        run(agent.close())
        run(vm.__aexit__(None, None, None))
