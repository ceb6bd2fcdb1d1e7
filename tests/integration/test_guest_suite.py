"""The tests with the real guest (tests/guest/guest_*.py) run in a pytest process of their own.

libvirt registers its QEMU driver again for every embedded connection a process opens, up to
a fixed table (about 16): the libvirt tests of this process use that budget up. The child
restores the saved guest once and shares it between its tests; its report is shown on failure,
its progress lines (a first run builds the image and saves the guests) always.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from progress_lines import show_progress

GUEST_TESTS = Path(__file__).resolve().parent.parent / "guest"
TIMEOUT = 1800  # seconds: a hang guard for the whole child run on a loaded 2-core machine


def test_guest_tests_pass_in_their_own_process(pytestconfig: pytest.Config) -> None:
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "python_files=guest_*.py",
            "--rootdir", str(GUEST_TESTS), str(GUEST_TESTS)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, check=False,
                          env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    show_progress(pytestconfig, done.stdout)  # the first run's image build and saved guests
    report = done.stdout[-6000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
    passed = re.search(r"(\d+) passed", done.stdout)
    assert passed is not None and int(passed.group(1)) > 0, report
    assert "failed" not in done.stdout.splitlines()[-1], report
