"""Findings and their rendering: one line per check, ok / warn / fail, with the fix."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"  # works, but something the user will likely trip over
    FAIL = "fail"  # a switch (or the VM, or the viewer) will not work like this


@dataclass(frozen=True)
class Finding:
    check: str  # stable id for scripts, e.g. "vfio.group"
    status: Status
    message: str
    fix: str | None = None


def ok(check: str, message: str) -> Finding:
    return Finding(check, Status.OK, message)


def warn(check: str, message: str, fix: str) -> Finding:
    return Finding(check, Status.WARN, message, fix)


def fail(check: str, message: str, fix: str) -> Finding:
    return Finding(check, Status.FAIL, message, fix)


def exit_code(findings: Iterable[Finding]) -> int:
    """0 when nothing fails: warnings are advice, not errors."""
    return 1 if any(f.status is Status.FAIL for f in findings) else 0


def render_text(findings: Iterable[Finding]) -> str:
    lines = []
    for finding in findings:
        line = f"{finding.status.value:<4}  {finding.check:<22} {finding.message}"
        if finding.fix:
            line += f" -> fix: {finding.fix}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def render_json(findings: Iterable[Finding]) -> str:
    items = [asdict(f) for f in findings]
    counts = {status.value: sum(1 for f in items if f["status"] == status) for status in Status}
    return json.dumps({"checks": items, "summary": counts}, indent=2) + "\n"
