"""Which lines of a child run are progress lines to show (progress_lines.py): a table."""

from __future__ import annotations

from progress_lines import progress_lines


def test_progress_lines_are_found_after_pytest_dots_and_nothing_else_is() -> None:
    output = (".....booting the guest once to save its state for the next runs (/c/state-1.save) … done in 15.7 s\n"
              "debian13-root: building /c/debian13-ab (debootstrap trixie, then apt-get install) … done in 95 s\n"
              "the saved guest state state-1.save was refused (operation failed): booting the guest instead, "
              "and saving it again\n"
              "building the guest image from Debian packages in /c/guest-1 … failed after 2.0 s\n"
              "25 passed in 67.45s (0:01:07)\n"
              "E   assert 'done in 3 s' == 'x'\n")
    assert progress_lines(output) == [
        "booting the guest once to save its state for the next runs (/c/state-1.save) … done in 15.7 s",
        "debian13-root: building /c/debian13-ab (debootstrap trixie, then apt-get install) … done in 95 s",
        "the saved guest state state-1.save was refused (operation failed): booting the guest instead, "
        "and saving it again",
        "building the guest image from Debian packages in /c/guest-1 … failed after 2.0 s",
    ]
