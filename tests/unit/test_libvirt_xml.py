"""Generated device XML and QMP against golden files; live-XML parsing against captured XML.

Regenerate the golden files after an intended change with MODESWITCH_REGEN_GOLDEN=1.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from modeswitch.parts.vm.domain_xml import (
    HostdevXml,
    evdev_input_xml,
    our_input_objects,
    parse_native_inputs,
    parse_usb,
    parse_usb_alias,
    qmp_id,
    qmp_input_add,
    qmp_object_del,
    qmp_result,
    usb_alias,
)
from modeswitch.parts.vm.spec import AttachedInput
from modeswitch.sandbox.stand_in_usb import StandInXml

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "libvirt"
REGEN = os.environ.get("MODESWITCH_REGEN_GOLDEN") == "1"

PADS = {
    "x360-wired": (0x045E, 0x028E, 1, 5),
    "x360-twin-a": (0x045E, 0x028E, 1, 7),
    "x360-twin-b": (0x045E, 0x028E, 1, 8),
    "xbox-wireless-adapter": (0x045E, 0x02FE, 1, 9),
    "dualsense": (0x054C, 0x0CE6, 1, 10),
    "no-address": (0x045E, 0x028E, None, None),
}
KBD = "/dev/input/by-id/usb-Logitech_USB_Keyboard-event-kbd"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if REGEN:
        path.write_text(text + "\n")
    assert path.exists(), f"{path} missing: run with MODESWITCH_REGEN_GOLDEN=1"
    assert text + "\n" == path.read_text()


@pytest.mark.parametrize("name", sorted(PADS))
def test_hostdev_xml_matches_golden(name: str) -> None:
    check_golden(f"hostdev-{name}.xml", HostdevXml().usb_xml(*PADS[name]))


@pytest.mark.parametrize("name", ["x360-wired", "no-address"])
def test_stand_in_xml_matches_golden(name: str) -> None:
    check_golden(f"standin-{name}.xml", StandInXml().usb_xml(*PADS[name]))


@pytest.mark.parametrize(("name", "grab_all", "toggle", "repeat"), [
    ("kbd-default", True, "ctrl-ctrl", True),
    ("kbd-scrolllock-norepeat", False, "scrolllock", False),
])
def test_input_payloads_match_golden(name: str, grab_all: bool, toggle: str, repeat: bool) -> None:
    check_golden(f"qmp-add-{name}.json", qmp_input_add(KBD, grab_all, toggle, repeat))
    check_golden(f"evdev-{name}.xml", evdev_input_xml(KBD, grab_all, toggle, repeat))


def test_qmp_object_del_matches_golden() -> None:
    check_golden("qmp-del.json", qmp_object_del(qmp_id(KBD)))


def test_identical_pads_get_distinct_aliases() -> None:
    twins = [usb_alias(*PADS[n]) for n in ("x360-twin-a", "x360-twin-b")]
    assert twins[0] != twins[1]


@pytest.mark.parametrize("name", sorted(PADS))
def test_alias_round_trips(name: str) -> None:
    assert parse_usb_alias(usb_alias(*PADS[name])) == PADS[name]


@pytest.mark.parametrize("alias", ["ua-other-thing", "usb1", "ua-modeswitch-usb-zzzz-0000", ""])
def test_foreign_aliases_are_not_ours(alias: str) -> None:
    assert parse_usb_alias(alias) is None


@pytest.mark.parametrize("path", [KBD, "/dev/input/event3", "/dev/input/by-path/pci-0000:00:14.0-usb-0:1:1.0-event",
                                  "/dev/input/ü ber"])
def test_qmp_ids_are_well_formed_and_prefixed(path: str) -> None:
    object_id = qmp_id(path)
    assert object_id.startswith("modeswitch-in-")
    assert object_id[0].isalpha() and all(c.isalnum() or c in "-._" for c in object_id)


def test_similar_paths_get_different_ids() -> None:
    assert qmp_id("/dev/input/a/event-kbd") != qmp_id("/dev/input/b/event-kbd")


LIVE = (GOLDEN.parent.parent / "fixtures" / "libvirt" / "live-domain.xml").read_text()


def test_parse_live_xml_finds_hostdevs_and_our_stand_ins() -> None:
    held = parse_usb(LIVE)
    idents = [(u.vendor, u.product, u.bus, u.device, u.alias) for u in held]
    assert idents == [
        (0x045E, 0x028E, 1, 7, "ua-modeswitch-usb-045e-028e-001-007"),
        (0x046D, 0xC52B, None, None, "hostdev0"),
        (0x045E, 0x028E, 1, 11, "ua-modeswitch-usb-045e-028e-001-011"),
    ]
    assert all(u.xml.startswith(("<hostdev", "<input")) and "\n" not in u.xml[-1:] for u in held)


def test_parse_live_xml_finds_native_evdev_inputs_only() -> None:
    inputs = parse_native_inputs(LIVE)
    assert [i for i, _ in inputs] == [AttachedInput(KBD, "ua-modeswitch-in-kbd")]
    assert "grab='all'" in inputs[0][1] or 'grab="all"' in inputs[0][1]


def test_a_users_own_evdev_input_is_not_taken_for_ours() -> None:
    users = (f"<input type='evdev'><source dev='{KBD}' grab='all'/><alias name='input2'/></input>"
             f"<input type='evdev'><source dev='{KBD}'/><alias name='ua-users-kbd'/></input>")
    live = LIVE.replace("</devices>", users + "</devices>")
    assert [i for i, _ in parse_native_inputs(live)] == [AttachedInput(KBD, "ua-modeswitch-in-kbd")]


def test_qom_list_keeps_only_our_input_linux_objects() -> None:
    reply = json.dumps({"return": [
        {"name": "type", "type": "string"},
        {"name": "modeswitch-in-1234abcd-event-kbd", "type": "child<input-linux>"},
        {"name": "user-kbd", "type": "child<input-linux>"},
        {"name": "modeswitch-in-fake", "type": "child<memory-backend-ram>"},
    ]})
    assert our_input_objects(qmp_result(reply)) == ["modeswitch-in-1234abcd-event-kbd"]


def test_qmp_error_reply_raises_with_qemu_words() -> None:
    reply = '{"id":"libvirt-414","error":{"class":"GenericError","desc":"/dev/null: is not an evdev device"}}'
    with pytest.raises(ValueError, match="is not an evdev device"):
        qmp_result(reply)
