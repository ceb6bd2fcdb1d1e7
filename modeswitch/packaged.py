"""Where a distribution package puts modeswitch's system pieces (scripts/build-deb does), so
the commands that would otherwise install them point there instead of writing a second copy:
a copy under /etc or ~/.config has the same name and would hide the package's from then on."""

from __future__ import annotations

from pathlib import Path

UDEV_RULES_DIR = Path("/usr/lib/udev/rules.d")
MODULES_LOAD_DIR = Path("/usr/lib/modules-load.d")
USER_UNIT_DIR = Path("/usr/lib/systemd/user")
UNIT_NAME = "modeswitch.service"
