"""ruff and mypy are part of the test command, so a lint regression fails CI like a bug."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_clean() -> None:
    result = run([str(BIN / "ruff"), "check", "modeswitch", "tests", "bench"])
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_clean() -> None:
    result = run([str(BIN / "mypy")])
    assert result.returncode == 0, result.stdout + result.stderr
