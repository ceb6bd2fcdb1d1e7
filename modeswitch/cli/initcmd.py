"""`modeswitch init`: discover, propose, let the user confirm or pick, write.

On a terminal it asks (numbered choices, Enter keeps the proposal); `--yes` takes the
proposal without asking; `--json` prints what was found. Existing files are replaced only
when the user says so (or `--force`), and then a backup is kept.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import TextIO

from modeswitch.doctor.roots import Roots
from modeswitch.paths import default_config_path
from modeswitch.setup.discover import Discovery, discover
from modeswitch.setup.files import planned, write
from modeswitch.setup.propose import Proposal, SinkChoice, propose


class Prompter:
    """Questions on a stream pair: the terminal, or scripted answers in tests."""

    def __init__(self, answers: TextIO, out: TextIO) -> None:
        self.answers, self.out = answers, out

    def ask(self, question: str) -> str:
        self.out.write(question)
        self.out.flush()
        return self.answers.readline().strip()

    def pick(self, what: str, options: list[str], current: str | None) -> str | None:
        if len(options) < 2:
            return current
        self.out.write(f"{what}:\n" + "".join(f"  {n}) {o}\n" for n, o in enumerate(options, 1)))
        default = options.index(current) + 1 if current in options else 1
        answer = self.ask(f"{what} [{default}]: ")
        if not answer:
            return current
        if answer.isdigit() and 1 <= int(answer) <= len(options):
            return options[int(answer) - 1]
        return answer  # typed by hand: a name that was not found (yet)

    def confirm(self, question: str) -> bool:
        return self.ask(f"{question} [y/N]: ").lower() in ("y", "yes")


def edit(proposal: Proposal, prompter: Prompter) -> Proposal:
    """Let the user pick among what was found for each item that has alternatives."""
    c = proposal.choices
    tv = prompter.pick("TV sink", c.get("tv_sink", []), proposal.tv_sink.pattern)
    desk_now = proposal.desk_sink.pattern if proposal.desk_sink else None
    desk = prompter.pick("desk sink", c.get("desk_sink", []), desk_now)
    return replace(
        proposal,
        domain=prompter.pick("libvirt domain", c.get("domain", []), proposal.domain) or proposal.domain,
        keyboard=prompter.pick("keyboard", c.get("keyboard", []), proposal.keyboard),
        mouse=prompter.pick("mouse", c.get("mouse", []), proposal.mouse),
        tv_sink=proposal.tv_sink if tv == proposal.tv_sink.pattern else SinkChoice(tv or "", "sink", "chosen"),
        desk_sink=proposal.desk_sink if desk in (None, desk_now) else SinkChoice(desk or "", "sink", "chosen"),
    )


def summary(found: Discovery, proposal: Proposal) -> str:
    desk = proposal.desk_sink
    agent = {None: [], True: ["agent     guest agent channel present"], False: ["agent     no guest agent channel"]}
    lines = [f"libvirt   {proposal.uri} domain {proposal.domain}"
             + ("" if proposal.domain_found else " (placeholder)"),
             f"keyboard  {proposal.keyboard or '-'}", f"mouse     {proposal.mouse or '-'}",
             "pads      " + (", ".join(f"{p.name} [{p.vendor:04x}:{p.product:04x}]" for p in found.pads) or "-"),
             f"tv sink   {proposal.tv_sink.pattern} ({proposal.tv_sink.label})",
             f"desk sink {desk.pattern} ({desk.label})" if desk else "desk sink -",
             f"viewer    {found.looking_glass or '-'}", *agent[proposal.agent_channel]]
    lines += [f"not found {item}" for item in found.missing]
    return "\n".join(lines) + "\n"


def as_json(found: Discovery, proposal: Proposal) -> str:
    return json.dumps({"found": asdict(found), "proposal": asdict(proposal)}, indent=2, default=str) + "\n"


def main(args: argparse.Namespace, roots: Roots) -> int:
    found = asyncio.run(discover(roots, args.uri, None))
    return run_init(args, found, sys.stdin, sys.stdout, sys.stdin.isatty())


def run_init(args: argparse.Namespace, found: Discovery, answers: TextIO, out: TextIO, interactive: bool) -> int:
    config_path: Path = args.config or default_config_path()
    proposal = propose(found)
    if args.json:
        out.write(as_json(found, proposal))
        if not args.yes:
            return 0
    else:
        out.write(summary(found, proposal))
    prompter = Prompter(answers, out)
    asking = interactive and not args.yes
    if asking:
        proposal = edit(proposal, prompter)
    report = write(planned(config_path, proposal), lambda path: args.force or asking and prompter.confirm(
        f"replace {path} (a backup is kept)?"))
    stream = sys.stderr if args.json else out
    stream.write("\n".join(report) + "\nnext: 'modeswitch check', then 'modeswitch doctor'\n")
    return 0


def command(args: argparse.Namespace) -> int:
    """`modeswitch init`: look at this machine, propose, ask on a terminal, write."""
    return main(args, Roots.from_environment())
