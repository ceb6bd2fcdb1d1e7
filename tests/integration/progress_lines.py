"""The long first steps' progress lines (building the guest image or the Debian 13 root, saving
the booted guest) from a child run, shown on this run's terminal: tests that run a child pytest
or script keep its output for their failure report, and a newcomer's first run would otherwise
sit for minutes without a word."""

from __future__ import annotations

import re

import pytest

# "booting the guest once to save its state … done in 15.7 s", after the child's pytest dots
# where they share its line; and the one line of a refused saved state.
PROGRESS = re.compile(r"^[.sxEF]*([a-z][^\n]* … (?:done in|failed after) [\d.]+ s|"
                      r"the saved guest state [^\n]* was refused [^\n]*)$", re.M)


def progress_lines(output: str) -> list[str]:
    return PROGRESS.findall(output)


def show_progress(config: pytest.Config, output: str) -> None:
    """Write the child's progress lines on pytest's terminal, past its output capture."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    lines = progress_lines(output)
    if not lines or reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.ensure_newline()
        for line in lines:
            reporter.write_line(line)
