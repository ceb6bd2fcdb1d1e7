"""Every refused mode file names file:line:col, also for bytes that are not YAML at all:
invalid UTF-8, NUL and other control characters, nesting too deep."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from modeswitch.config.modes import load_mode
from modeswitch.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "modes" / "desk.yaml"
MODESWITCH = str(Path(sys.executable).with_name("modeswitch"))

CASES = [
    # (file bytes, line, column, words in the message)
    (b"name: a\n# caf\xc3\xa9 \xfb\n", 2, 8, "not valid UTF-8 (byte 0xfb)"),
    (b"\xff\xfename: a\n", 1, 1, "not valid UTF-8 (byte 0xff)"),
    (b"name: a\nhooks:\n  after:\n    - argv: [touch, a\x00b]\n", 4, 22, "U+0000 (NUL) is not allowed"),
    (b"name: a\x07\n", 1, 8, "U+0007 is not allowed"),
    (b"name: a\nx: \x1b[31m\n", 2, 4, "U+001B (ESC) is not allowed"),
    (b"name: a\nhooks: " + b"[" * 1000 + b"]" * 1000 + b"\n", 2, 57, "nested more than 50 levels deep"),
    (b"name: a\nx:\n" + b"".join(b"  " * i + b"- \n" for i in range(1, 800)), 52, 101, "nested more than 50"),
]


@pytest.mark.parametrize(("data", "line", "column", "words"), CASES)
def test_unreadable_bytes_are_pointed_at(tmp_path: Path, data: bytes, line: int, column: int, words: str) -> None:
    path = tmp_path / "a.yaml"
    path.write_bytes(data)
    with pytest.raises(ConfigError) as caught:
        load_mode(path)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert words in caught.value.message
    assert caught.value.hint
    assert "\n" not in str(caught.value)


def test_mutated_mode_files_are_refused_with_a_position(tmp_path: Path) -> None:
    """Random byte mutations of the shipped example: accepted, or refused with file:line:col."""
    source = EXAMPLE.read_bytes()
    rng = random.Random(9)
    path = tmp_path / "desk.yaml"
    refused = 0
    for _ in range(400):
        data = bytearray(source)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(data))
            choice = rng.random()
            if choice < 0.4:
                data[at] = rng.randrange(256)
            elif choice < 0.7:
                data.insert(at, rng.choice(b"\x00\x07\x1b\xfb\xc3[{:-\t\"'"))
            elif choice < 0.8:
                data[at:at] = b"[" * rng.randint(100, 1500)
            else:
                del data[at:at + rng.randint(1, 12)]
        path.write_bytes(bytes(data))
        try:
            load_mode(path)
        except ConfigError as exc:
            refused += 1
            assert re.match(rf"{re.escape(str(path))}:\d+:\d+: ", str(exc)), str(exc)
    assert refused > 100  # the mutations do break the file most of the time


def test_check_prints_one_line_with_the_position(tmp_path: Path) -> None:
    modes = tmp_path / "modes"
    modes.mkdir()
    (modes / "desk.yaml").write_bytes(b"name: desk\nhooks:\n  after: [[touch, \x00]]\n")
    config = tmp_path / "config.yaml"
    config.write_text(f"modes_dirs: [{modes}]\n")
    result = subprocess.run([MODESWITCH, "--config", str(config), "check"], capture_output=True, text=True,
                            timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 1
    assert result.stderr == (f"modeswitch: {modes / 'desk.yaml'}:3:19: character U+0000 (NUL) is not allowed in YAML"
                             " (delete it, or write it as an escape inside double quotes)\n")
