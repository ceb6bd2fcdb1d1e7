"""Human-readable output for the CLI; --json prints the same dicts verbatim."""

from __future__ import annotations

import sys

from modeswitch.cli.render_screens import print_screens
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


def print_status(status: dict[str, Any]) -> None:
    daemon = status.get("daemon")
    where = f"daemon pid {daemon['pid']}" if daemon else "no daemon (observed directly)"
    print(f"mode:    {status.get('mode') or '-'} ({status.get('phase')}); {where}")
    if status.get("target"):
        print(f"target:  {status['target']}" + (f", then {status['pending']}" if status.get("pending") else ""))
    if status.get("error"):
        print(f"error:   {status['error']}")
    seat = status.get("seat") or {}
    _print_vm(seat.get("vm"))
    _print_audio(seat.get("audio"))
    print_screens(seat)
    for pad in status.get("pads") or []:
        _print_pad(pad)
    viewer = seat.get("viewer")
    if viewer is not None:
        state = f"running (pid {viewer['pid']})" if viewer["running"] else "stopped"
        print(f"viewer:  {state}")


def _print_pad(pad: dict[str, Any]) -> None:
    """Where the pad's buttons are read from: host evdev, usbmon (in VM), or not readable."""
    where = pad.get("path") or f"usb {pad.get('bus')}.{pad.get('device')}"
    source = pad.get("source", "host evdev")
    protocol = f", {pad['protocol']}" if pad.get("protocol") and not pad.get("reason") else ""
    print(f"pad:     {pad['name']} ({pad['vendor']:04x}:{pad['product']:04x}) {where}: {source}{protocol}")
    if pad.get("adapter"):  # a pad behind a wireless adapter: which adapter, and how it was told apart
        told = f"; {pad['link']}, found by {pad['how']}" if pad.get("how") else ""
        print(f"         behind {pad['adapter']}{told}")
    if pad.get("note") and pad.get("adapter"):
        print(f"         {pad['note']}")
    if pad.get("reason"):
        print(f"         {pad['reason']}; fix: {pad.get('fix')}")


def _print_vm(vm: dict[str, Any] | None) -> None:
    if vm is None:
        return
    if not vm.get("connected"):
        print(f"vm:      {vm['domain']}: not connected ({vm.get('error') or 'unknown'})")
        return
    print(f"vm:      {vm['domain']} {vm['state']}")
    if vm.get("agent") in ("connected", "disconnected"):  # a domain with the agent's channel
        print(f"  agent  guest agent {vm['agent']}")
    for usb in vm.get("usb") or []:
        print(f"  usb    {usb['vendor']:04x}:{usb['product']:04x} bus {usb.get('bus')} dev {usb.get('device')}")
    for entry in vm.get("inputs") or []:
        print(f"  input  {entry['path']}")


def _print_audio(audio: dict[str, Any] | None) -> None:
    if audio is None:
        return
    if not audio.get("connected"):
        print(f"audio:   not connected to {audio.get('server')} ({audio.get('error') or 'unknown'})")
        return
    print(f"audio:   default {audio.get('default_sink')}")
    for stream in audio.get("streams") or []:
        print(f"  stream {stream['name']} -> {stream['sink']}")


def print_history(history: dict[str, Any]) -> None:
    records = history.get("records") or []
    if not records:
        print("no transitions yet")
    for record in records:
        state = "ok" if record.get("ok") else f"FAILED at '{record.get('failed_step')}': {record.get('error')}"
        print(f"{record['started']}  {record['target']:<8} {record['duration_ms']:8.1f} ms  "
              f"{len(record.get('steps') or [])} step(s)  [{record.get('source')}]  {state}")
