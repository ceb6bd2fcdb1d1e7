"""The thin client's JSON is json's own: the same values read, the same bytes written, the
same documents refused."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modeswitch import wire

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(VALUES)
def test_reads_what_json_writes(value: object) -> None:
    for text in (json.dumps(value), json.dumps(value, indent=2, sort_keys=True) + "\n",
                 json.dumps(value, ensure_ascii=False)):
        assert wire.loads(text) == json.loads(text)


@given(VALUES)
def test_prints_as_json_prints(value: object) -> None:
    assert wire.pretty(value) == json.dumps(value, indent=2, sort_keys=True)


@given(st.dictionaries(st.text(), st.text() | st.integers(), max_size=5))
def test_writes_requests_as_json_would(fields: dict[str, str | int]) -> None:
    assert wire.request(fields) == json.dumps(fields, separators=(",", ":")).encode() + b"\n"


@pytest.mark.parametrize("text", ['{"ok": ', '{"ok": true} {"ok": false}', "", "nope", '{"a": 1,}', "[1, 2"])
def test_refuses_what_json_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        wire.loads(text)


@pytest.mark.parametrize("value", [True, 1.5, None, ["a"]])
def test_a_request_field_is_a_string_or_an_integer(value: object) -> None:
    with pytest.raises(TypeError):
        wire.request({"mode": value})  # type: ignore[dict-item]
