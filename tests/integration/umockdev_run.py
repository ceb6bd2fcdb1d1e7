"""Runs a scenario script in a child under umockdev-wrapper and returns its JSON result.

umockdev works through LD_PRELOAD, which must be in place before a process starts, while the
suite is one plain `pytest` run; so the emulation lives in children, the assertions here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TIMEOUT = 120


def run_scenario(name: str, workdir: Path, script: str = "umockdev_scenarios.py") -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(HERE), str(HERE.parent)]))
    argv = ["umockdev-wrapper", sys.executable, str(HERE / script), name, str(workdir)]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env, start_new_session=True) as child:
        try:
            out, err = child.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, 9)
            out, err = child.communicate()
    assert child.returncode == 0, f"scenario {name} failed:\n{err[-4000:]}"
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result
