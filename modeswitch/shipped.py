"""Where the files modeswitch ships (udev rules, the usbmon module entry) are: the repo's udev/
in a checkout, share/modeswitch/udev when installed, as with the example modes. Shared by the
CLI that installs them and by doctor, which compares what is installed against them."""

from __future__ import annotations

import sys
from pathlib import Path

RULES_NAME = "70-modeswitch.rules"
USBMON_CONF = "modeswitch-usbmon.conf"


def rules_path(name: str = RULES_NAME) -> Path:
    checkout = Path(__file__).resolve().parents[1] / "udev" / name
    if checkout.exists():
        return checkout
    return Path(sys.prefix) / "share" / "modeswitch" / "udev" / name
