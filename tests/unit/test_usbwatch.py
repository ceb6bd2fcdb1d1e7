"""Pure parts of the USB watcher: what a burst of uevents amounts to, and how a device is named
from the uevent alone (on "remove" its sysfs attributes are gone)."""

from __future__ import annotations

import pytest

from modeswitch.triggers.usbwatch import Burst, describe

PAD = {"PRODUCT": "45e/28e/114", "BUSNUM": "001", "DEVNUM": "005", "DEVTYPE": "usb_device"}

DESCRIBE = [
    ("kernel properties", PAD, "045e:028e @001.005"),
    ("no address", {"PRODUCT": "54c/ce6/100"}, "054c:0ce6"),
    ("nothing known", {}, "?:?"),
    ("garbled product", {"PRODUCT": "xyz/12/1", "BUSNUM": "002", "DEVNUM": "003"}, "xyz:0012 @002.003"),
    ("half a product", {"PRODUCT": "45e"}, "?:?"),
]


@pytest.mark.parametrize(("case", "properties", "expected"), DESCRIBE, ids=[c[0] for c in DESCRIBE])
def test_describe(case: str, properties: dict[str, str], expected: str) -> None:
    assert describe(properties) == expected


BURSTS = [
    ("one add", [("add", "A")], ("add", "A")),
    ("replug is an add", [("remove", "A"), ("add", "A@new")], ("add", "A, A@new (+1 more uevent)")),
    ("unplug storm ends removed", [("add", "A"), ("remove", "A"), ("add", "A"), ("remove", "A")],
     ("remove", "A (+3 more uevents)")),
    ("two pads at once", [("add", "A"), ("add", "B")], ("add", "A, B (+1 more uevent)")),
]


@pytest.mark.parametrize(("case", "events", "expected"), BURSTS, ids=[c[0] for c in BURSTS])
def test_burst_summary(case: str, events: list[tuple[str, str]], expected: tuple[str, str]) -> None:
    burst = Burst()
    for action, what in events:
        burst.add(action, what)
    assert burst.summary() == expected
