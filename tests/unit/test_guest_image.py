"""Pure parts of the guest image, the agent client and the guest's USB listing: table tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.libvirt_errors import libvirt_error

from modeswitch.errors import BackendError
from modeswitch.parts.guest.backend import AgentState, GuestRun, agent_error, channel_state, exec_command
from modeswitch.sandbox.guest_image import cache_root, inputs_hash, resolve_packages
from modeswitch.sandbox.guest_view import GuestUsb, parse_usb_listing

DATA = Path(__file__).resolve().parent / "data"
SHOW = (DATA / "apt-cache-show-guest.txt").read_text()


def test_packages_resolve_the_kernel_behind_the_meta_package() -> None:
    assert resolve_packages(SHOW) == {"linux-image-6.1.0-56-amd64": "6.1.192-2",
                                      "busybox-static": "1:1.35.0-4+deb12u1+b1",
                                      "qemu-guest-agent": "1:7.2+dfsg-7+deb12u18+b3",
                                      "util-linux": "2.38.1-5+deb12u3"}


@pytest.mark.parametrize("broken", [
    SHOW.split("\n\n", 1)[1],  # no kernel meta package
    SHOW.replace("Depends: linux-image-6.1.0-56-amd64 (= 6.1.192-2)\n", ""),  # meta without its kernel
    SHOW.replace("Package: busybox-static", "Package: busybox"),  # apt knows another package
])
def test_packages_apt_does_not_know_are_one_line_errors(broken: str) -> None:
    with pytest.raises(BackendError, match="run apt-get update"):
        resolve_packages(broken)


@pytest.mark.parametrize("change", [
    {"packages": {"linux-image-6.1.0-57-amd64": "6.1.193-1"}}, {"init": "#!/bin/sh\n"},
    {"modules": ["evdev"]}, {"recipe": 2},
])
def test_any_changed_input_names_another_cache_entry(change: dict[str, object]) -> None:
    base: dict[str, object] = {"recipe": 1, "init": "x", "modules": ["a"], "cmdline": "c",
                               "packages": resolve_packages(SHOW)}
    assert inputs_hash(base) == inputs_hash(dict(base))
    assert inputs_hash(base) != inputs_hash({**base, **change})


@pytest.mark.parametrize(("env", "expected"), [
    ({"XDG_CACHE_HOME": "/c", "HOME": "/h"}, "/c/modeswitch"),
    ({"XDG_CACHE_HOME": "", "HOME": "/h"}, "/h/.cache/modeswitch"),
    ({"HOME": "/h"}, "/h/.cache/modeswitch"),
])
def test_cache_root_follows_xdg(env: dict[str, str], expected: str) -> None:
    assert cache_root(env) == Path(expected)


CHANNEL = "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'{}/></channel>"


@pytest.mark.parametrize(("devices", "expected"), [
    (CHANNEL.format(" state='connected'"), AgentState.CONNECTED),
    (CHANNEL.format(" state='disconnected'"), AgentState.DISCONNECTED),
    (CHANNEL.format(""), AgentState.DISCONNECTED),
    ("<channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>", AgentState.NO_CHANNEL),
    ("", AgentState.NO_CHANNEL),
])
def test_channel_state_from_live_xml(devices: str, expected: AgentState) -> None:
    assert channel_state(f"<domain><devices>{devices}</devices></domain>") is expected


def test_exec_command_passes_argv_as_a_list() -> None:
    assert exec_command(["C:\\Windows\\System32\\DisplaySwitch.exe", "/external"]) == (
        '{"execute": "guest-exec", "arguments": {"path": "C:\\\\Windows\\\\System32\\\\DisplaySwitch.exe", '
        '"arg": ["/external"], "capture-output": true}}')


@pytest.mark.parametrize(("stderr", "code", "last"), [
    ("warning\nAccess is denied.\n\n", 1, "Access is denied."), ("", 5, "exit code 5"),
])
def test_last_error_line(stderr: str, code: int, last: str) -> None:
    assert GuestRun(("x",), code, "", stderr, 1.0).last_error_line == last


def test_agent_errors_name_the_fix() -> None:
    err = libvirt_error("Guest agent is not responding: QEMU guest agent is not connected")
    assert "did not answer" in str(agent_error(["x"], err))


LISTING = """\
1-2|0627:0001|QEMU USB Keyboard|event3
1-1|0627:0001|QEMU USB Keyboard|event2 event5!
2-1|0bda:8153|USB 10/100/1000 LAN|
"""


def test_usb_listing_parses_nodes_and_missing_nodes() -> None:
    devices = parse_usb_listing(LISTING + "garbage line\n1-3|:|QEMU USB Keyboard|\n")
    assert devices == (
        GuestUsb("1-1", 0x0627, 0x0001, "QEMU USB Keyboard", ("event2",), ("event5",)),
        GuestUsb("1-2", 0x0627, 0x0001, "QEMU USB Keyboard", ("event3",)),
        GuestUsb("2-1", 0x0BDA, 0x8153, "USB 10/100/1000 LAN", ()),
    )
    assert [d.port for d in devices] == [1, 2, 1]
    assert str(devices[1]) == "1-2 0627:0001 QEMU USB Keyboard (/dev/input/event3)"


def test_newc_entries_are_aligned_and_name_their_sizes() -> None:
    from modeswitch.sandbox.guest_image import newc_entry

    entry = newc_entry("init", 0o100755, 7, 1_700_000_000, b"#!/bin/sh\n")
    assert entry.startswith(b"070701") and len(entry) % 4 == 0
    fields = [int(entry[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
    assert fields[:7] == [7, 0o100755, 0, 0, 1, 1_700_000_000, 10] and fields[11] == len("init") + 1
    assert entry[110:115] == b"init\0" and b"#!/bin/sh\n" in entry
    assert newc_entry("lib", 0o40755, 8, 0, b"")[6 + 8 * 4:14 + 8 * 4] == b"00000002"  # a directory: 2 links
