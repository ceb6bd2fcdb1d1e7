"""What became of one switch request: the one result type for the coordinator, the socket and
the CLI, whoever asked and whichever path (daemon or in-process) served it.

The exit code is part of the vocabulary, so a script can tell "done" from "refused, nothing
changed", "failed and rolled back" and "replaced by a later request" without parsing text.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

TYPE_CHECKING = False  # the thin client renders through this module: no typing import
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


class ExitCode(IntEnum):
    OK = 0
    USER_ERROR = 1  # refused before anything was touched: config, unknown mode, missing device
    ROLLED_BACK = 2  # the transition failed (or the daemon stopped) and was undone
    DAEMON_UNREACHABLE = 3  # the daemon was needed and could not be reached
    SUPERSEDED = 4  # a later request replaced this one before it ran; it changed nothing


class Result(StrEnum):
    DONE = "done"  # the seat is in the target mode
    REFUSED = "refused"  # nothing was applied: unknown mode, a device or sink that is not there
    ROLLED_BACK = "rolled_back"  # a step failed; every step that had run was undone
    CANCELLED = "cancelled"  # the daemon stopped mid-switch; what had run was undone
    SUPERSEDED = "superseded"  # a later request took this one's place in the queue


_EXIT = {
    Result.DONE: ExitCode.OK,
    Result.REFUSED: ExitCode.USER_ERROR,
    Result.ROLLED_BACK: ExitCode.ROLLED_BACK,
    Result.CANCELLED: ExitCode.ROLLED_BACK,
    Result.SUPERSEDED: ExitCode.SUPERSEDED,
}


class Outcome:
    """Plain class, not a dataclass: the CLI imports it on its fast path (dataclasses costs
    ~8 ms of imports there)."""

    __slots__ = ("result", "target", "error", "error_type", "superseded_by", "record")

    def __init__(self, result: Result, target: str | None, error: str | None = None,
                 error_type: str | None = None, superseded_by: str | None = None,
                 record: Mapping[str, Any] | None = None) -> None:
        self.result = result
        self.target = target
        self.error = error
        self.error_type = error_type  # the typed error's class name when the request was refused
        self.superseded_by = superseded_by
        self.record: Mapping[str, Any] = record or {}  # the transition record, as in history

    def __repr__(self) -> str:
        return f"Outcome({self.result.value}, {self.target!r}, error={self.error!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Outcome) and all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    __hash__ = None  # type: ignore[assignment]

    @property
    def ok(self) -> bool:
        return self.result is Result.DONE

    @property
    def exit_code(self) -> ExitCode:
        return _EXIT[self.result]

    def as_dict(self) -> dict[str, Any]:
        """Flat: the transition record's keys (id, steps, rolled_back, ...) plus the outcome's."""
        return {**self.record, "ok": self.ok, "result": self.result.value, "target": self.target,
                "error": self.error, "error_type": self.error_type, "superseded_by": self.superseded_by}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Outcome:
        """The CLI's side of the wire; a reply without a valid `result` is a protocol fault."""
        own = {"ok", "result", "target", "error", "error_type", "superseded_by"}
        return cls(
            result=Result(str(data.get("result"))),
            target=_text(data.get("target")),
            error=_text(data.get("error")),
            error_type=_text(data.get("error_type")),
            superseded_by=_text(data.get("superseded_by")),
            record={key: value for key, value in data.items() if key not in own},
        )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
