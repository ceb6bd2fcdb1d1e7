"""Pure parts of the saved guest and the libvirt log sink: what names a saved state, and how a
libvirt log line reads as a debug record."""

from __future__ import annotations

from pathlib import Path

import pytest

from modeswitch.logsink import libvirt_line
from modeswitch.sandbox.embedded_vm import domain_xml
from modeswitch.sandbox.guest_image import GuestImage
from modeswitch.sandbox.saved_state import saved_state, state_spec


@pytest.fixture
def image(tmp_path: Path) -> GuestImage:
    folder = tmp_path / "guest-0123456789abcdef"
    folder.mkdir()
    (folder / "vmlinuz").write_bytes(b"k")
    (folder / "initrd.gz").write_bytes(b"initrd")
    return GuestImage(folder / "vmlinuz", folder / "initrd.gz")


def _xml(image: GuestImage, name: str = "modeswitch-guest", ports: int | None = None) -> str:
    return domain_xml(name, "qemu-system-x86_64", ports, image, Path("/console.log"), Path("/agent.sock"))


def test_the_state_lives_beside_the_image_and_its_uuid_follows_its_key(image: GuestImage) -> None:
    state = saved_state(image, "modeswitch-guest", state_spec(image, _xml(image), 9_000_000, 7_002_022))
    assert state.path.parent == image.kernel.parent and state.path.name.startswith("state-")
    assert state.path.suffix == ".save" and state.lock.parent == image.kernel.parent
    again = saved_state(image, "modeswitch-guest", state_spec(image, _xml(image), 9_000_000, 7_002_022))
    assert again == state  # stable


@pytest.mark.parametrize("change", ["libvirt", "qemu", "name", "ports", "initrd"])
def test_whatever_makes_a_state_valid_names_another_one(image: GuestImage, change: str) -> None:
    before = saved_state(image, "modeswitch-guest", state_spec(image, _xml(image), 9_000_000, 7_002_022))
    if change == "initrd":
        image.initrd.write_bytes(b"another initrd")
    name = "modeswitch-demo" if change == "name" else "modeswitch-guest"
    xml = _xml(image, name, 4 if change == "ports" else None)
    after = saved_state(image, name, state_spec(image, xml, 11_003_000 if change == "libvirt" else 9_000_000,
                                                10_000_013 if change == "qemu" else 7_002_022))
    assert after.path != before.path and after.uuid != before.uuid


def test_the_uuid_goes_into_the_domain_xml(image: GuestImage) -> None:
    xml = domain_xml("g", "qemu", None, image, uuid="5e8b665a-b7a8-507d-b499-3a680c19b6e6")
    assert "<name>g</name><uuid>5e8b665a-b7a8-507d-b499-3a680c19b6e6</uuid>" in xml
    assert "<uuid>" not in domain_xml("g", "qemu", None, image)


@pytest.mark.parametrize(("line", "record"), [
    ("2026-12-04 18:23:30.479+0000: 10468: error : virAccessManagerGetDefault:69 : internal error: No access "
     "manager registered", "error: virAccessManagerGetDefault:69 : internal error: No access manager registered"),
    ("2026-12-04 18:23:30.479+0000: 10468: info : hostname: vm", "info: hostname: vm"),
    ("a line of another shape", "a line of another shape"),
])
def test_a_libvirt_log_line_loses_its_timestamp_and_thread(line: str, record: str) -> None:
    assert libvirt_line(line) == record


def test_stale_states_are_the_same_domains_on_the_same_stack(image: GuestImage) -> None:
    now = saved_state(image, "modeswitch-guest", state_spec(image, _xml(image), 9_000_000, 7_002_022))
    older = saved_state(image, "modeswitch-guest", state_spec(image, _xml(image, ports=4), 9_000_000, 7_002_022))
    other_stack = saved_state(image, "modeswitch-guest", state_spec(image, _xml(image), 11_003_000, 10_000_013))
    other_domain = saved_state(image, "modeswitch-demo", state_spec(image, _xml(image, "modeswitch-demo"),
                                                                    9_000_000, 7_002_022))
    for state in (now, older, other_stack, other_domain):
        state.path.write_bytes(b"state")
    assert now.path.name.startswith("state-modeswitch-guest-9000000-7002022-")
    assert now.stale() == [older.path]
