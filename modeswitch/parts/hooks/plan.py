"""Hook planning: the programs a mode runs on the host when it is entered. Pure.

Each hook is a group of its own, in the order the mode lists them; a hook's undo runs on
rollback. Like guest actions they belong to entering a mode, so a mode in place plans none.
"""

from __future__ import annotations

from modeswitch.model import Step, StepKind
from modeswitch.parts.part import PartPlan, PlanContext, Slot


def plan_hooks(ctx: PlanContext) -> PartPlan:
    hooks = ctx.target.hooks
    before = [_hook_step(h.argv, h.timeout, h.undo, "before") for h in hooks.before]
    after = [_hook_step(h.argv, h.timeout, h.undo, "after") for h in hooks.after]
    return PartPlan.at(Slot.BEFORE, before) + PartPlan.at(Slot.AFTER, after)


def _hook_step(argv: tuple[str, ...], timeout: float, undo: tuple[str, ...] | None, when: str) -> Step:
    undo_step = None
    if undo is not None:
        undo_step = Step.make(StepKind.HOOK, undo[0], f"undo {when}-hook {undo[0]}", {"argv": undo, "timeout": timeout})
    args = {"argv": argv, "timeout": timeout}
    return Step.make(StepKind.HOOK, argv[0], f"{when}-hook {' '.join(argv)}", args, undo_step)
