"""The files modeswitch ships are found from a checkout as from an install: `udev-rules`
prints the repo's rules file, and the example modes are the repo's modes/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from modeswitch.config.loader import shipped_modes_dir
from modeswitch.shipped import rules_path

REPO = Path(__file__).resolve().parents[2]
MODESWITCH = str(Path(sys.executable).with_name("modeswitch"))


def test_udev_rules_prints_the_shipped_rules() -> None:
    done = subprocess.run([MODESWITCH, "udev-rules"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (REPO / "udev" / "70-modeswitch.rules").read_text()


def test_shipped_paths_point_into_the_checkout() -> None:
    assert rules_path() == REPO / "udev" / "70-modeswitch.rules"
    assert shipped_modes_dir() == REPO / "modes"
    assert sorted(p.name for p in shipped_modes_dir().glob("*.yaml")) == ["desk.yaml", "tv.yaml"]
