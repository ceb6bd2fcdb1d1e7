"""sysfs USB inventory against a tree shaped from real devices' attribute sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from modeswitch.parts.usb.sysfs import SysfsUsbInventory
from modeswitch.sandbox.embedded_vm import stand_in_pads
from modeswitch.sandbox.stand_in_usb import FakeUsbDevice, write_usb_tree

HOST = Path(__file__).resolve().parent.parent / "fixtures" / "sysfs" / "host"


@pytest.fixture(scope="module")
def devices() -> dict[str, tuple]:
    found = SysfsUsbInventory(HOST).scan()
    return {d.port: (f"{d.vendor:04x}:{d.product:04x}", d.bus, d.device, d.serial, d.name, d.kind)
            for d in found}


@pytest.mark.parametrize(("port", "expected"), [
    ("1-2", ("045e:028e", 1, 5, "0A1B2C3D", "Controller", "gamepad")),
    ("1-3", ("045e:028e", 1, 7, None, "Controller", "gamepad")),
    ("1-4", ("045e:028e", 1, 8, None, "Controller", "gamepad")),
    ("1-5.1", ("045e:02fe", 1, 9, "62463C5A00000000", "XBOX ACC", "gamepad")),
    ("1-5.2", ("054c:0ce6", 1, 10, None, "DualSense Wireless Controller", "gamepad")),
    ("1-1", ("046d:c31c", 1, 3, None, "USB Keyboard", None)),
])
def test_devices_read_from_real_shaped_tree(devices: dict[str, tuple], port: str, expected: tuple) -> None:
    assert devices[port] == expected


def test_root_hubs_and_interfaces_are_not_devices(devices: dict[str, tuple]) -> None:
    assert sorted(devices) == ["1-1", "1-2", "1-3", "1-4", "1-5.1", "1-5.2"]


def test_identical_pads_differ_by_address() -> None:
    twins = [d for d in SysfsUsbInventory(HOST).scan() if d.port in ("1-3", "1-4")]
    assert twins[0].ident != twins[1].ident


def test_missing_root_is_an_empty_host(tmp_path: Path) -> None:
    assert SysfsUsbInventory(tmp_path / "absent").scan() == ()


def _hid(tmp_path: Path, with_js: bool) -> Path:
    root = write_usb_tree(tmp_path, [FakeUsbDevice(0x1234, 0x5678, 2, 4, "1", "Generic pad",
                                                   interface=(0x03, 0x00, 0x00))])
    node = root / "2-1:1.0" / "0003:1234:5678.0001" / "input" / "input9"
    (node / ("js0" if with_js else "event9")).mkdir(parents=True)
    return root


@pytest.mark.parametrize(("with_js", "kind"), [(True, "gamepad"), (False, None)])
def test_unknown_hid_device_is_a_gamepad_when_it_has_a_joystick_node(
        tmp_path: Path, with_js: bool, kind: str | None) -> None:
    (device,) = SysfsUsbInventory(_hid(tmp_path, with_js)).scan()
    assert device.kind == kind


def test_xbox_one_interface_triple_is_a_gamepad(tmp_path: Path) -> None:
    write_usb_tree(tmp_path, [FakeUsbDevice(0x0E6F, 0x02A4, 3, 2, "2", "PDP pad", interface=(0xFF, 0x47, 0xD0))])
    assert SysfsUsbInventory(tmp_path).scan()[0].kind == "gamepad"


def test_stand_in_pads_round_trip_through_the_tree(tmp_path: Path) -> None:
    write_usb_tree(tmp_path, stand_in_pads(2))
    found = SysfsUsbInventory(tmp_path).scan()
    assert [(d.port, d.device, d.kind) for d in found] == [("1-1", 10, "gamepad"), ("1-2", 11, "gamepad")]
    assert all("stand-in" in d.name for d in found)


def test_garbage_attributes_are_skipped(tmp_path: Path) -> None:
    bad = tmp_path / "1-9"
    bad.mkdir()
    (bad / "idVendor").write_text("zzzz\n")
    (bad / "idProduct").write_text("0001\n")
    assert SysfsUsbInventory(tmp_path).scan() == ()


@pytest.mark.parametrize(("device_class", "interface", "kind"), [
    ("e0", (0xE0, 0x01, 0x01), "bluetooth"),  # Intel AX2xx: class on the device and its interfaces
    ("00", (0xE0, 0x01, 0x01), "bluetooth"),  # class only on the interface
    ("00", (0x08, 0x06, 0x50), None),  # a USB stick
])
def test_a_bluetooth_adapter_is_told_by_its_usb_class(tmp_path: Path, device_class: str,
                                                      interface: tuple[int, int, int], kind: str | None) -> None:
    write_usb_tree(tmp_path, [FakeUsbDevice(0x8087, 0x0029, 1, 4, "4", "Bluetooth", interface=interface)])
    (tmp_path / "1-4" / "bDeviceClass").write_text(device_class + "\n")
    (found,) = SysfsUsbInventory(tmp_path).scan()
    assert found.kind == kind
