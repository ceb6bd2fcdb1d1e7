"""The command table: the thin forms a running daemon answers, as a table, and what the thin
client's start costs in imports (none of the modules that made `status` slow)."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from modeswitch.cli.commands import COMMANDS, HIDDEN, thin_request
from modeswitch.cli.main import build_parser
from modeswitch.protocol import Verb

CASES = [
    (["status"], ("status", {}, False)),
    (["status", "--json"], ("status", {}, True)),
    (["--config", "/x.yaml", "tv"], ("switch", {"mode": "tv", "source": "cli"}, False)),
    (["desk", "--json"], ("switch", {"mode": "desk", "source": "cli"}, True)),
    (["toggle"], ("switch", {"mode": "toggle", "source": "cli"}, False)),
    (["switch", "movie"], ("switch", {"mode": "movie", "source": "cli"}, False)),
    # everything else is the full parser's: it knows the options and says what is wrong
    (["switch"], None),
    (["switch", "--json"], None),
    (["switch", "a", "b"], None),
    (["tv", "--no-daemon"], None),
    (["status", "-v"], None),
    (["plan", "tv"], None),
    (["-v", "status"], None),
    ([], None),
    (["nonsense"], None),
]


@pytest.mark.parametrize(("argv", "expected"), CASES, ids=[" ".join(c[0]) or "(none)" for c in CASES])
def test_thin_forms(argv: list[str], expected: object) -> None:
    assert thin_request(argv) == expected


def test_every_thin_command_asks_for_a_verb_the_daemon_knows() -> None:
    assert {command.verb for command in COMMANDS if command.verb} <= set(Verb)
    assert HIDDEN == argparse.SUPPRESS


def test_the_parser_has_every_command_of_the_table_and_no_other() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(sub.choices) == [command.name for command in COMMANDS]
    assert parser.parse_args(["switch", "movie", "--json"]).mode == "movie"


def test_the_thin_client_imports_none_of_the_slow_modules() -> None:
    probe = ("import sys, modeswitch.cli.client; "
             "print(' '.join(m for m in ('json', 're', 'enum', 'typing', 'argparse', 'pathlib', 'socket', "
             "'dataclasses', 'yaml', 'libvirt') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []
