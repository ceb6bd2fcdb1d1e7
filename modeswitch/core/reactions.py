"""Which parts a backend event brings back in line: a pure table read off the registry's
`reconciled_by` globs (`vm.started`, `audio.*`), table-tested like the machine."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from modeswitch.parts.part import Part
from modeswitch.parts.registry import PARTS


def parts_to_reconcile(source: str, event: str, parts: Iterable[Part] = PARTS) -> frozenset[str]:
    """The parts to plan again after `event` from the `source` part's backend; empty when the
    event changes nothing a mode asks for (the seat is then only looked at again)."""
    key = f"{source}.{event.split(' ', 1)[0]}"
    return frozenset(part.name for part in parts if any(fnmatchcase(key, glob) for glob in part.reconciled_by))
