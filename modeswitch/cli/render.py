"""Human-readable output for the CLI; --json prints the same dicts verbatim."""

from __future__ import annotations

import sys

from modeswitch.core.outcome import Outcome, Result

TYPE_CHECKING = False  # the thin client renders through this module: no typing import
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


def _print_notes(record: Mapping[str, Any]) -> None:
    for note in record.get("notes") or []:
        print(f"  note: {note}")


def print_plan(plan: dict[str, Any]) -> None:
    _print_notes(plan)
    groups = plan.get("groups") or []
    if not groups:
        print(f"{plan['target']}: already in place, nothing to do")
        return
    print(f"plan for {plan['target']}:")
    for number, group in enumerate(groups, 1):
        for step in group:
            print(f"  {number}. {step['description']}")


def print_outcome(outcome: Outcome) -> None:
    record = outcome.record
    if outcome.result is Result.SUPERSEDED:
        print(f"{outcome.target}: not run, superseded by a newer request for {outcome.superseded_by}")
        return
    if outcome.result is Result.REFUSED:  # an error like any other: one line on stderr
        print(f"modeswitch: {outcome.error}", file=sys.stderr)
        return
    _print_notes(record)
    steps = record.get("steps") or []
    for step in steps:
        mark = "ok " if step["ok"] else "FAIL"
        print(f"  {mark} {step['duration_ms']:8.1f} ms  {step['description']}")
        if step.get("error"):
            print(f"        {step['error']}")
    for step in record.get("rolled_back") or []:
        mark = "undo" if step["ok"] else "UNDO FAILED"
        print(f"  {mark} {step['duration_ms']:8.1f} ms  {step['description']}")
    if outcome.ok:
        took = f" in {record['duration_ms']:.1f} ms" if steps else ""
        print(f"{outcome.target}: {'switched' if steps else 'already in place'}{took}")
    elif outcome.result is Result.CANCELLED:
        print(f"{outcome.target}: cancelled, rolled back: {outcome.error}")
    else:
        print(f"{outcome.target}: failed, rolled back: {outcome.error}")


def print_history(history: dict[str, Any]) -> None:
    records = history.get("records") or []
    if not records:
        print("no transitions yet")
    for record in records:
        state = "ok" if record.get("ok") else f"FAILED at '{record.get('failed_step')}': {record.get('error')}"
        print(f"{record['started']}  {record['target']:<8} {record['duration_ms']:8.1f} ms  "
              f"{len(record.get('steps') or [])} step(s)  [{record.get('source')}]  {state}")
