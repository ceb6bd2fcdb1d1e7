"""The wlroots display suite runs in the Debian 13 root (labwc 0.8, sway 1.10), started by
tests/integration/test_display_wlroots.py; `support` comes from the tests folder above."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
