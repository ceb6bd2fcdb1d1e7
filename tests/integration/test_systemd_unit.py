"""The shipped systemd user unit passes `systemd-analyze verify` (no running manager needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from modeswitch.cli.userfiles import install_unit, systemd_unit

MODESWITCH = Path(sys.executable).parent / "modeswitch"


def verify(unit: Path, runtime: Path) -> subprocess.CompletedProcess[str]:
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    return subprocess.run(["systemd-analyze", "--user", "verify", str(unit)], env=env,
                          capture_output=True, text=True, timeout=60)


def test_generated_unit_verifies(tmp_path: Path) -> None:
    install_unit(MODESWITCH, tmp_path / "config")
    unit = tmp_path / "config" / "systemd" / "user" / "modeswitch.service"
    result = verify(unit, tmp_path / "run")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""
    text = unit.read_text()
    assert f"ExecStart={MODESWITCH} daemon" in text
    assert "Type=notify" in text


def test_verify_catches_a_missing_executable(tmp_path: Path) -> None:
    """The check above can fail: the same unit pointing at a missing program is refused."""
    unit = tmp_path / "modeswitch.service"
    unit.write_text(systemd_unit(tmp_path / "missing" / "modeswitch"))
    result = verify(unit, tmp_path / "run")
    assert result.returncode != 0
    assert "missing/modeswitch" in result.stderr


def test_cli_prints_the_unit_for_its_own_path() -> None:
    result = subprocess.run([str(MODESWITCH), "systemd-unit"], capture_output=True, text=True, check=True)
    assert f"ExecStart={MODESWITCH.resolve()} daemon" in result.stdout
