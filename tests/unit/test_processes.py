"""The run records and lookups behind hook and viewer cleanup, against this machine's /proc."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from modeswitch.parts.processes import RunRecords, executable, find, kill_marked, start_time


@pytest.mark.parametrize(("name", "search", "error"), [
    ("sh", "/nonexistent:/bin", None),
    ("/bin/sh", "", None),
    ("no-such-program-here", "/bin:/usr/bin", "No such file or directory"),
    ("/nonexistent/hook", "/bin", "No such file or directory"),
    ("{tmp}/data", "/bin", "Permission denied"),  # a file, not executable
])
def test_executable_answers_like_exec(tmp_path: Path, name: str, search: str, error: str | None) -> None:
    (tmp_path / "data").write_text("not a program\n")
    name = name.format(tmp=tmp_path)
    if error is None:
        assert os.access(executable(name, search), os.X_OK)
    else:
        with pytest.raises(OSError, match=error):
            executable(name, search)


def test_a_record_outlives_only_its_spawner(tmp_path: Path) -> None:
    records = RunRecords(tmp_path / "runs", owner=str(tmp_path))
    mine = records.begin("after-hook mine")
    assert json.loads(mine.record.read_text())["spawner_start"] == start_time(os.getpid())
    dead = subprocess.run(["true"], check=True)  # a pid that existed and is gone
    assert dead.returncode == 0
    orphan = tmp_path / "runs" / "hook-0123456789abcdef.json"
    orphan.write_text(json.dumps({"run": "hook-0123456789abcdef", "what": "after-hook theirs",
                                  "spawner": 1, "spawner_start": -1}))  # pid 1 started at another time
    torn = tmp_path / "runs" / "hook-ffffffffffffffff.json"
    torn.write_text("{")
    assert records.end_leftovers() == ["after-hook theirs", "hook-ffffffffffffffff.json"]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == [mine.record.name]
    records.finish(mine, kill=False)
    assert list((tmp_path / "runs").iterdir()) == []


def test_only_marked_processes_of_the_run_are_killed(tmp_path: Path) -> None:
    owner = str(tmp_path)
    env = {**os.environ, "MODESWITCH_OWNER": owner}
    marked = subprocess.Popen(["sleep", "1000"], env={**env, "MODESWITCH_RUN": "hook-a"})
    other_run = subprocess.Popen(["sleep", "1000"], env={**env, "MODESWITCH_RUN": "hook-b"})
    try:
        assert find(owner, "hook-a") == [marked.pid]
        assert kill_marked(owner, "hook-a") == 1
        assert marked.wait(timeout=30) < 0
        assert other_run.poll() is None and find(owner, "hook-a") == []
    finally:
        for process in (marked, other_run):
            process.kill()
            process.wait()
