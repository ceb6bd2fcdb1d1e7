"""JSON for the thin client without importing json: the json package's decoder module imports
re (and with it enum's and functools' dependencies), which is most of what a `status` through
the daemon would spend on imports. This reads with the very C scanner json.loads uses, and
writes the client's flat requests with json's C string escaper, so the bytes and the values
are json's own (tests/unit/test_wire.py checks them against json). Where CPython's _json is
missing, json itself does the work.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

try:
    import _json
except ImportError:  # not CPython: the plain module, at its plain cost
    _json = None  # type: ignore[assignment]

_WHITESPACE = " \t\n\r"  # what json.loads skips around a document


class _Context:
    """What the C scanner reads off a json.JSONDecoder: json.loads' defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__
    memo: dict[str, Any] = {}


# the C scanner reads its settings off any object that has them, as off a JSONDecoder
_SCAN = _json.make_scanner(_Context()) if _json is not None else None  # type: ignore[arg-type]


def loads(text: str) -> Any:
    """json.loads(text); ValueError when it is not one JSON document."""
    if _SCAN is None:
        import json

        return json.loads(text)
    start = len(text) - len(text.lstrip(_WHITESPACE))
    try:
        value, end = _SCAN(text, start)
    except StopIteration as stop:
        raise ValueError(f"not JSON at character {stop.value}") from None
    if text[end:].strip(_WHITESPACE):
        raise ValueError(f"extra data at character {end}")
    return value


def request(fields: Mapping[str, str | int]) -> bytes:
    """One request line: json.dumps(fields, separators=(",", ":")) and a newline, for the flat
    string and integer fields a request has."""
    if _json is None:
        import json

        return json.dumps(dict(fields), separators=(",", ":")).encode() + b"\n"
    return ("{" + ",".join(f"{_json.encode_basestring_ascii(key)}:{_value(value)}"
                           for key, value in fields.items()) + "}\n").encode()


def pretty(value: Any) -> str:
    """json.dumps(value, indent=2, sort_keys=True): what `--json` prints, for the daemon's
    replies (str keys; str, int, float, bool, None, lists and dicts as values)."""
    if _json is None:
        import json

        return json.dumps(value, indent=2, sort_keys=True)
    out: list[str] = []
    _pretty(value, "", out)
    return "".join(out)


def _pretty(value: Any, indent: str, out: list[str]) -> None:
    if isinstance(value, dict) and value:
        inner = indent + "  "
        out.append("{")
        for n, key in enumerate(sorted(value)):
            out.append(("," if n else "") + "\n" + inner + _json.encode_basestring_ascii(key) + ": ")
            _pretty(value[key], inner, out)
        out.append("\n" + indent + "}")
    elif isinstance(value, list | tuple) and value:
        inner = indent + "  "
        out.append("[")
        for n, item in enumerate(value):
            out.append(("," if n else "") + "\n" + inner)
            _pretty(item, inner, out)
        out.append("\n" + indent + "]")
    else:
        out.append(_scalar(value))


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return _json.encode_basestring_ascii(value)
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    if isinstance(value, dict | list | tuple):  # empty ones
        return "{}" if isinstance(value, dict) else "[]"
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _value(value: str | int) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise TypeError(f"a request field is a string or an integer, not {type(value).__name__}")
    return _json.encode_basestring_ascii(value) if isinstance(value, str) else str(value)
