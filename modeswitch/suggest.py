"""Did-you-mean for every name a user types: config keys, modes, buttons, keys, outputs."""

from __future__ import annotations

import difflib


def suggest(word: str, choices: set[str] | list[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "expected one of: " + ", ".join(sorted(choices))
