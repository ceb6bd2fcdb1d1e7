"""TV planning: which CEC frames a mode's `tv` part still needs. Pure.

Only what the mode sets is compared. The undo puts back only what the step changed and what
was known before: a TV this mode woke from standby goes back to standby on rollback, one whose
power state was unknown (it did not answer) is left on, and an input taken is given back with
<Inactive Source> (CEC has no way to hand the input to another device from here).
"""

from __future__ import annotations

from typing import Any

from modeswitch.errors import PlanError
from modeswitch.model import Step, StepKind
from modeswitch.parts.part import PartPlan, PlanContext, Slot
from modeswitch.parts.tv.spec import TvObservation, TvPower, TvSpec

_ON = {"on", "to_on"}
_STANDBY = {"standby", "to_standby"}


def plan_tv(wanted: TvSpec | None, seen: TvObservation | None) -> list[Step]:
    if wanted is None or (wanted.power is None and not wanted.input):
        return []
    if seen is None or seen.error is not None:
        raise PlanError(seen.error if seen is not None and seen.error else f"the TV on {wanted.device} is not set up")
    args: dict[str, Any] = {}
    undo: dict[str, Any] = {}
    _plan_power(wanted, seen, args, undo)
    if wanted.input:
        address = _address(wanted, seen)
        if seen.active_source != address:
            args["source"], undo["release"] = address, address
    if not args:
        return []
    undo_step = None
    if undo:
        undo_step = Step.make(StepKind.TV, "tv", _describe(undo, "undo: "), {"device": wanted.device, **undo})
    return [Step.make(StepKind.TV, "tv", _describe(args, ""), {"device": wanted.device, **args}, undo_step)]


def _plan_power(wanted: TvSpec, seen: TvObservation, args: dict[str, Any], undo: dict[str, Any]) -> None:
    if wanted.power is TvPower.ON and seen.power not in _ON:
        args["power"] = "on"
        if seen.power in _STANDBY:
            undo["power"] = "standby"
    elif wanted.power is TvPower.STANDBY and seen.power not in _STANDBY:
        args["power"] = "standby"
        if seen.power in _ON:
            undo["power"] = "on"


def _address(wanted: TvSpec, seen: TvObservation) -> int:
    address = wanted.physical_address if wanted.physical_address is not None else seen.physical_address
    if address is None:
        raise PlanError(f"the CEC adapter {wanted.device} does not know which HDMI port it is on",
                        "set tv: physical_address: (e.g. 1.0.0.0 for the TV's HDMI 1)")
    return address


def _describe(args: dict[str, Any], prefix: str) -> str:
    parts = []
    if args.get("power") == "on":
        parts.append("TV on")
    if "release" in args:
        parts.append(f"TV input released from {_dotted(args['release'])}")
    if "source" in args:
        parts.append(f"TV input to {_dotted(args['source'])}")
    if args.get("power") == "standby":
        parts.append("TV to standby")
    return prefix + ", ".join(parts)


def _dotted(address: int) -> str:
    """0x1000 → 1.0.0.0, as CEC tools and TV menus write a physical address."""
    return ".".join(f"{(address >> shift) & 0xF:x}" for shift in (12, 8, 4, 0))


def plan_tv_part(ctx: PlanContext) -> PartPlan:
    return PartPlan.at(Slot.ACQUIRE, plan_tv(ctx.target.tv, ctx.state.tv))
