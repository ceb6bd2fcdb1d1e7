"""Device XML and QMP payloads for the VM, and parsing of what the live VM holds. Pure.

Everything modeswitch puts into a VM carries a name it can recognise later: libvirt user
aliases `ua-modeswitch-usb-…` on devices and QMP ids `modeswitch-in-…` on input-linux
objects. observe() therefore tells our devices apart from the user's own after a restart,
and detach never touches what it did not attach.
"""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from typing import Any, Protocol

from modeswitch.parts.vm.spec import AttachedInput, AttachedUsb

USB_ALIAS_PREFIX = "ua-modeswitch-usb-"
INPUT_ALIAS_PREFIX = "ua-modeswitch-in-"
QMP_INPUT_PREFIX = "modeswitch-in-"
GRAB_TOGGLES = ("ctrl-ctrl", "alt-alt", "shift-shift", "meta-meta", "scrolllock", "ctrl-scrolllock")
_ALIAS_RE = re.compile(r"^ua-modeswitch-usb-([0-9a-f]{4})-([0-9a-f]{4})(?:-(\d{3})-(\d{3}))?$")


def usb_alias(vendor: int, product: int, bus: int | None, device: int | None) -> str:
    """Vendor, product and address in the alias: observe() can rebuild identity from it alone."""
    alias = f"{USB_ALIAS_PREFIX}{vendor:04x}-{product:04x}"
    if bus is not None and device is not None:
        alias += f"-{bus:03d}-{device:03d}"
    return alias


def parse_usb_alias(alias: str) -> tuple[int, int, int | None, int | None] | None:
    match = _ALIAS_RE.match(alias)
    if match is None:
        return None
    vendor, product, bus, device = match.groups()
    return (int(vendor, 16), int(product, 16),
            int(bus) if bus else None, int(device) if device else None)


class UsbDeviceXml(Protocol):
    """How a USB device to attach is spelled: a real hostdev, or an emulated stand-in."""

    def usb_xml(self, vendor: int, product: int, bus: int | None, device: int | None) -> str: ...


class HostdevXml:
    """A host USB device passed through. vendor/product plus bus/device when known, so two
    identical pads each get their own hostdev instead of libvirt picking the first twice."""

    def usb_xml(self, vendor: int, product: int, bus: int | None, device: int | None) -> str:
        address = ""
        if bus is not None and device is not None:
            address = f"\n    <address bus='{bus}' device='{device}'/>"
        return (
            "<hostdev mode='subsystem' type='usb' managed='yes'>\n"
            "  <source>\n"
            f"    <vendor id='0x{vendor:04x}'/>\n"
            f"    <product id='0x{product:04x}'/>{address}\n"
            "  </source>\n"
            f"  <alias name='{usb_alias(vendor, product, bus, device)}'/>\n"
            "</hostdev>"
        )


def qmp_id(path: str) -> str:
    """A QMP id is [A-Za-z][A-Za-z0-9._-]*; the hash keeps two similar paths apart."""
    tail = re.sub(r"[^A-Za-z0-9._-]", "_", path.rsplit("/", 1)[-1])[:40]
    digest = hashlib.sha1(path.encode()).hexdigest()[:8]
    return f"{QMP_INPUT_PREFIX}{digest}-{tail}" if tail else f"{QMP_INPUT_PREFIX}{digest}"


def qmp_input_add(path: str, grab_all: bool, grab_toggle: str, repeat: bool) -> str:
    arguments = {"qom-type": "input-linux", "id": qmp_id(path), "evdev": path,
                 "grab_all": grab_all, "repeat": repeat, "grab-toggle": grab_toggle}
    return json.dumps({"execute": "object-add", "arguments": arguments}, sort_keys=True)


def qmp_object_del(object_id: str) -> str:
    return json.dumps({"execute": "object-del", "arguments": {"id": object_id}}, sort_keys=True)


def qmp_list_objects() -> str:
    return json.dumps({"execute": "qom-list", "arguments": {"path": "/objects"}}, sort_keys=True)


def qmp_get_evdev(object_id: str) -> str:
    arguments = {"path": f"/objects/{object_id}", "property": "evdev"}
    return json.dumps({"execute": "qom-get", "arguments": arguments}, sort_keys=True)


def qmp_result(reply: str) -> Any:
    """The `return` of a QMP reply; raises ValueError with QEMU's own words on an error."""
    data = json.loads(reply)
    if "error" in data:
        raise ValueError(data["error"].get("desc", "QEMU reported an error"))
    return data.get("return")


def our_input_objects(qom_list: Any) -> list[str]:
    return sorted(item["name"] for item in qom_list or ()
                  if item.get("type") == "child<input-linux>"
                  and str(item.get("name", "")).startswith(QMP_INPUT_PREFIX))


def native_input_alias(path: str) -> str:
    """The alias of our native evdev input for `path`: detach needs no look to find it."""
    return INPUT_ALIAS_PREFIX + qmp_id(path)[len(QMP_INPUT_PREFIX):]


def evdev_input_xml(path: str, grab_all: bool, grab_toggle: str, repeat: bool) -> str:
    """Native `<input type='evdev'>`, live-attachable from libvirt 10.4.0 on."""
    alias = native_input_alias(path)
    grab = " grab='all'" if grab_all else ""
    return (
        "<input type='evdev'>\n"
        f"  <source dev='{_attr(path)}'{grab} grabToggle='{grab_toggle}' "
        f"repeat='{'on' if repeat else 'off'}'/>\n"
        f"  <alias name='{alias}'/>\n"
        "</input>"
    )


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace("'", "&apos;").replace("<", "&lt;")


def _fragment(element: ET.Element) -> str:
    copy = ET.fromstring(ET.tostring(element))
    copy.tail = None
    return ET.tostring(copy, encoding="unicode")


def _alias(element: ET.Element) -> str | None:
    node = element.find("alias")
    return node.get("name") if node is not None else None


def _int(text: str | None, base: int = 10) -> int | None:
    try:
        return int(text, base) if text is not None else None
    except ValueError:
        return None


def _child_attr(parent: ET.Element, tag: str, attr: str) -> str | None:
    node = parent.find(tag)
    return node.get(attr) if node is not None else None


def _hostdev(element: ET.Element) -> AttachedUsb | None:
    source = element.find("source")
    if source is None:
        return None
    vendor = _int(_child_attr(source, "vendor", "id"), 16)
    product = _int(_child_attr(source, "product", "id"), 16)
    if vendor is None or product is None:
        return None
    bus = _int(_child_attr(source, "address", "bus"))
    device = _int(_child_attr(source, "address", "device"))
    return AttachedUsb(vendor, product, bus, device, _fragment(element), _alias(element))


def parse_usb(domain_xml: str) -> tuple[AttachedUsb, ...]:
    """USB hostdevs the domain holds, plus our stand-ins (recognised by alias alone)."""
    devices = ET.fromstring(domain_xml).find("devices")
    found: list[AttachedUsb] = []
    for element in devices if devices is not None else ():
        if element.tag == "hostdev" and element.get("type") == "usb":
            hostdev = _hostdev(element)
            if hostdev is not None:
                found.append(hostdev)
            continue
        alias = _alias(element) or ""
        ident = parse_usb_alias(alias)
        if ident is not None:
            found.append(AttachedUsb(*ident, xml=_fragment(element), alias=alias))
    return tuple(found)


def parse_native_inputs(domain_xml: str) -> tuple[tuple[AttachedInput, str], ...]:
    """Our `<input type='evdev'>` devices with the XML detach needs; handle = libvirt alias.
    Only ours, as on the QMP path: the user's own (a static one for the same keyboard, say)
    is neither taken for ours nor detached."""
    devices = ET.fromstring(domain_xml).find("devices")
    found = []
    for element in devices.findall("input") if devices is not None else ():
        source, handle = element.find("source"), _alias(element) or ""
        ours = handle.startswith(INPUT_ALIAS_PREFIX)
        if element.get("type") != "evdev" or source is None or not source.get("dev") or not ours:
            continue
        found.append((AttachedInput(str(source.get("dev")), handle), _fragment(element)))
    return tuple(found)


def device_aliases(domain_xml: str) -> set[str]:
    """Every device alias in a live domain: a detached device is gone when its alias is."""
    devices = ET.fromstring(domain_xml).find("devices")
    return {alias for element in (devices if devices is not None else ())
            if (alias := _alias(element)) is not None}
