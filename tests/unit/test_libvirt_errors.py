"""libvirt's error texts → one-line BackendErrors with a hint the user can act on."""

from __future__ import annotations

import pytest
from support.libvirt_errors import libvirt_error

from modeswitch.parts.vm.connection import connect_error

# Texts as libvirt 9.0 prints them for these situations.
CASES = [
    ("Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied",
     "permission denied", "'libvirt' group"),
    ("authentication failed: access denied by policy", "permission denied", "'libvirt' group"),
    ("Failed to connect socket to '/var/run/libvirt/virtqemud-sock': No such file or directory",
     "cannot reach libvirt", "running"),
    ("Cannot recv data: ssh: Could not resolve hostname tv-pc: Name or service not known",
     "cannot reach libvirt", "URI"),
]


@pytest.mark.parametrize(("text", "message", "hint"), CASES)
def test_connect_errors_map_to_actionable_lines(text: str, message: str, hint: str) -> None:
    mapped = connect_error("qemu:///system", libvirt_error(text))
    assert message in mapped.message and mapped.hint and hint in mapped.hint
    assert "\n" not in str(mapped)


@pytest.mark.parametrize(("path", "message"), [
    ("/dev/input/by-id/absent-event-kbd", "is not present"),
    ("/dev/null", "is not an evdev input device"),
])
def test_held_keys_reader_names_what_is_wrong_with_the_node(path: str, message: str) -> None:
    from modeswitch.errors import BackendError
    from modeswitch.parts.inputs.held_keys import EvdevHeldKeys

    with pytest.raises(BackendError, match=message):
        EvdevHeldKeys().held_keys(path)
