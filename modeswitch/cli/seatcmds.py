"""The commands about the seat: switches, status, plan, history, check, reload and the daemon.
Each goes through the daemon when one runs, and in-process when none can be reached."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from modeswitch import ipc, protocol
from modeswitch.cli.render import print_history, print_outcome, print_plan
from modeswitch.cli.render_status import print_status
from modeswitch.config.loader import Config, load_config
from modeswitch.core.outcome import ExitCode, Outcome
from modeswitch.errors import DaemonUnreachable, ModeswitchError, NoReply
from modeswitch.paths import Paths


def switch(args: argparse.Namespace) -> int:
    """Through the daemon when one answers. In-process only when no daemon could be reached
    at all: once a daemon has taken the request, running it here too could run it twice."""
    paths = Paths.from_environment()
    mode = args.mode if args.command == "switch" else args.command
    if not args.no_daemon and ipc.present(paths.socket):
        try:
            return _report(Outcome.from_dict(daemon_call(paths, protocol.Verb.SWITCH, mode=mode, source="cli")),
                           args.json)
        except DaemonUnreachable:
            pass
    from modeswitch.cli.inprocess import switch_in_process

    return _report(switch_in_process(_in_process(args), paths, mode), args.json)


def status(args: argparse.Namespace) -> int:
    paths = Paths.from_environment()
    if ipc.present(paths.socket):
        try:
            _print_json_or(daemon_call(paths, protocol.Verb.STATUS), args.json, print_status)
            return int(ExitCode.OK)
        except (DaemonUnreachable, NoReply):
            pass  # a stale socket or a stopping daemon: look at the world directly
    from modeswitch.cli.inprocess import status_in_process

    _print_json_or(status_in_process(_in_process(args), paths), args.json, print_status)
    return int(ExitCode.OK)


def plan(args: argparse.Namespace) -> int:
    """Through the daemon when it runs: it holds the connections (an embedded libvirt root
    admits one process at a time) and plans against the same state it would switch from."""
    paths = Paths.from_environment()
    if ipc.present(paths.socket):
        try:
            _print_json_or(daemon_call(paths, protocol.Verb.PLAN, mode=args.mode), args.json, print_plan)
            return int(ExitCode.OK)
        except (DaemonUnreachable, NoReply):
            pass  # planning changes nothing, so looking here instead is safe
    from modeswitch.cli.inprocess import plan_in_process

    _print_json_or(plan_in_process(_in_process(args), Paths.from_environment(), args.mode), args.json, print_plan)
    return int(ExitCode.OK)


def history(args: argparse.Namespace) -> int:
    from modeswitch.core.history import HistoryLog

    records = HistoryLog(Paths.from_environment().history).tail(args.n)
    _print_json_or({"records": records}, args.json, print_history)
    return int(ExitCode.OK)


def reload(_args: argparse.Namespace) -> int:
    result = daemon_call(Paths.from_environment(), protocol.Verb.RELOAD)
    rewired = result.get("rewired") or []
    print("reloaded:", ", ".join(result["modes"]) + (f"; rebuilt {', '.join(rewired)}" if rewired else ""))
    return int(ExitCode.OK)


def daemon(args: argparse.Namespace) -> int:
    import asyncio

    from modeswitch.daemon.service import run_daemon

    return asyncio.run(run_daemon(load(args), Paths.from_environment(), args.config))


def check(args: argparse.Namespace) -> int:
    config = load(args)
    summary = {
        "config": str(config.path),
        "libvirt": {"uri": config.libvirt_uri, "domain": config.domain},
        "modes": {name: str(mode.source) for name, mode in config.modes.items()},
        "default_mode": config.default_mode,
        "toggle": list(config.toggle),
        "combos": len(config.combos),
        "hotplug": len(config.hotplug),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return int(ExitCode.OK)
    exists = "" if config.path and config.path.exists() else " (not present: defaults)"
    print(f"config  {config.path}{exists}")
    print(f"libvirt {config.libvirt_uri} domain {config.domain}")
    for name, mode in sorted(config.modes.items()):
        print(f"mode    {name:<10} {mode.source}")
    print(f"default {config.default_mode}; toggle {config.toggle[0]} <-> {config.toggle[1]}")
    print(f"triggers: {len(config.combos)} combo(s), {len(config.hotplug)} hotplug rule(s)")
    print("ok")
    return int(ExitCode.OK)


def load(args: argparse.Namespace) -> Config:
    return load_config(args.config, required=args.config is not None)


def _in_process(args: argparse.Namespace) -> Config:
    """No daemon answered: this process does the work, and logs like the daemon would."""
    from modeswitch.cli.main import setup_logging

    setup_logging(args.verbose, False)
    return load(args)


def daemon_call(paths: Paths, verb: protocol.Verb, **fields: Any) -> Any:
    """The result of one request; an error reply means the daemon refused it and changed
    nothing, which is a user error (exit 1) whatever its type."""
    reply = ipc.call(paths.socket, verb, **fields)
    if reply.get("ok"):
        return reply.get("result")
    error = reply.get("error") or {}
    if error.get("type") == "PermissionDenied":  # the daemon checked our uid: another user's seat
        raise ipc.not_yours(paths.socket, str(error.get("message")))
    raise ModeswitchError(str(error.get("message")))


def _print_json_or(result: Any, as_json: bool, human: Callable[[Any], None]) -> None:
    if as_json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        human(result)


def _report(outcome: Outcome, as_json: bool) -> int:
    _print_json_or(outcome.as_dict(), as_json, lambda _: print_outcome(outcome))
    return int(outcome.exit_code)
