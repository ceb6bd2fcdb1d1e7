"""The `modeswitch` command: a thin client of the daemon, in-process when none runs.

Exit codes (modeswitch.core.outcome.ExitCode): 0 ok · 1 user error (bad config, unknown mode,
target unreachable; nothing was changed) · 2 the transition failed and was rolled back (also
when the daemon stopped mid-switch) · 3 the daemon was needed and is not reachable · 4 the
request was superseded by a later one before it ran, and changed nothing.
Importing this module loads no backend: `status` through the daemon stays fast.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modeswitch import __version__, ipc
from modeswitch.cli.render import print_history, print_outcome, print_plan, print_status
from modeswitch.core.outcome import ExitCode, Outcome
from modeswitch.errors import (
    ConfigError,
    DaemonUnreachable,
    ModeswitchError,
    NoReply,
    NotYourDaemon,
    PlanError,
    UnknownMode,
)
from modeswitch.paths import Paths, default_config_path

if TYPE_CHECKING:
    import argparse

    from modeswitch.config.loader import Config

EXIT_OK, EXIT_USER, EXIT_FAILED, EXIT_DAEMON = (int(code) for code in (
    ExitCode.OK, ExitCode.USER_ERROR, ExitCode.ROLLED_BACK, ExitCode.DAEMON_UNREACHABLE))


def build_parser() -> argparse.ArgumentParser:
    import argparse  # ~10 ms of imports that `status` through the daemon does without

    from modeswitch.cli import firstrun

    parser = argparse.ArgumentParser(
        prog="modeswitch",
        description="Switch a VFIO seat between modes (TV, desk, ...) in one transaction.",
        epilog="Config: $XDG_CONFIG_HOME/modeswitch/config.yaml and modes/*.yaml. "
        "Exit codes: 0 ok, 1 user error (nothing changed), 2 transition failed and rolled back, "
        "3 daemon unreachable, 4 superseded by a later request (nothing changed).",
    )
    parser.add_argument("--config", type=Path, help=f"config file (default {default_config_path()})")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details to stderr")
    parser.add_argument("--version", action="version", version=f"modeswitch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, text in (("tv", "switch to TV mode"), ("desk", "switch to desk mode"),
                       ("toggle", "switch to the other mode of the toggle pair")):
        _switch_options(sub.add_parser(name, help=text, description=text))
    switch = sub.add_parser("switch", help="switch to any mode by name")
    switch.add_argument("mode")
    _switch_options(switch)
    plan = sub.add_parser("plan", help="show what switching to MODE would change, without doing it")
    plan.add_argument("mode")
    plan.add_argument("--json", action="store_true")
    status = sub.add_parser("status", help="the current mode and what the seat holds")
    status.add_argument("--json", action="store_true", help="stable machine-readable output")
    history = sub.add_parser("history", help="the last transitions with per-step durations")
    history.add_argument("-n", type=int, default=10, metavar="N", help="how many (default 10)")
    history.add_argument("--json", action="store_true")
    check = sub.add_parser("check", help="validate config and modes; exit 1 with file:line:col on errors")
    check.add_argument("--json", action="store_true")
    sub.add_parser("reload", help="ask the daemon to re-read its config")
    sub.add_parser("daemon", help="run the state machine in the foreground (for systemd --user)")
    demo = sub.add_parser("demo", help="run a desk -> tv -> desk cycle on an embedded VM and private audio")
    demo.add_argument("--keep-going", action="store_true", help=argparse.SUPPRESS)
    unit = sub.add_parser("systemd-unit", help="print the systemd user unit (or install it)")
    unit.add_argument("--install", action="store_true", help="write it to $XDG_CONFIG_HOME/systemd/user")
    pads = sub.add_parser("pads", help="decode a usbmon capture: protocol and button changes per pad")
    pads.add_argument("--capture", type=Path, required=True, metavar="FILE",
                      help="pcap or pcapng from tcpdump -i usbmonN or Wireshark (link type 220)")
    rules = sub.add_parser("udev-rules", help="print the udev rules (or install them as root)")
    rules.add_argument("--install", action="store_true", help="write them to /etc/udev/rules.d and reload udev")
    firstrun.add_parsers(sub)
    return parser


def _switch_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the transition record as JSON")
    parser.add_argument("--no-daemon", action="store_true", help="run in-process even if a daemon runs")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        quick = _quick(argv)
    except NoReply as exc:  # the daemon took the switch: never run it again here
        print(f"modeswitch: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if quick is not None:
        return quick
    args = build_parser().parse_args(argv)
    if args.verbose or args.command not in _THIN:
        _setup_logging(args.verbose, args.command == "daemon")
    try:
        return _dispatch(args)
    except ConfigError as exc:
        print(f"modeswitch: {exc}", file=sys.stderr)
        return EXIT_USER
    except (DaemonUnreachable, NotYourDaemon) as exc:
        print(f"modeswitch: {exc}", file=sys.stderr)
        return EXIT_DAEMON
    except NoReply as exc:
        print(f"modeswitch: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (UnknownMode, PlanError, ModeswitchError) as exc:
        print(f"modeswitch: {exc}", file=sys.stderr)
        return EXIT_USER
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: one line for the user, the traceback with -v
        if args.verbose:
            import traceback

            traceback.print_exc()
        print(f"modeswitch: internal error: {type(exc).__name__}: {exc} (rerun with -v for details)",
              file=sys.stderr)
        return EXIT_FAILED


# Commands that are a single request when a daemon runs: logging (~8 ms of imports) is set up
# only if they fall back to doing the work in this process.
_THIN = {"status", "plan", "history", "reload", "tv", "desk", "toggle", "switch"}


def _quick(argv: list[str]) -> int | None:
    """The hot paths through a running daemon, without building the argument parser (~20
    subcommands): `status [--json]` (status bars ask every few seconds) and `tv`, `desk`,
    `toggle`, `switch NAME` with or without `--json` (key bindings, scripts). Anything else,
    or no daemon to answer, returns None and takes the ordinary path, which reports errors."""
    if argv[:1] == ["--config"]:
        argv = argv[2:]  # the daemon has its own config; the socket comes from the environment
    as_json = argv[-1:] == ["--json"]
    words = argv[:-1] if as_json else argv
    if words == ["status"]:
        verb, fields = ipc.Verb.STATUS, {}
    elif words in (["tv"], ["desk"], ["toggle"]) or (len(words) == 2 and words[0] == "switch"
                                                      and not words[1].startswith("-")):
        verb, fields = ipc.Verb.SWITCH, {"mode": words[-1], "source": "cli"}
    else:
        return None
    try:
        result = _daemon_call(Paths.from_environment(), verb, **fields)
    except NoReply:
        raise
    except (ModeswitchError, OSError):
        return None  # nothing was done: the ordinary path tries again and says what is wrong
    if verb is ipc.Verb.SWITCH:
        return _report(Outcome.from_dict(result), as_json)
    _print_json_or(result, as_json, print_status)
    return EXIT_OK


def _setup_logging(verbose: bool, daemon: bool) -> None:
    import logging

    from modeswitch.cli.logsetup import JournalFormatter

    if logging.getLogger().handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JournalFormatter() if os.environ.get("JOURNAL_STREAM") else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO if daemon else logging.WARNING)


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command
    from modeswitch.cli import firstrun

    if command in firstrun.COMMANDS:
        return firstrun.dispatch(args)
    if command == "check":
        return _check(args)
    if command == "udev-rules":
        from modeswitch.cli.userfiles import udev_rules

        print(udev_rules(install=args.install), end="")
        return EXIT_OK
    if command == "pads":
        from modeswitch.cli.padscapture import capture_lines

        print("\n".join(capture_lines(args.capture)))
        return EXIT_OK
    if command == "systemd-unit":
        from modeswitch.cli.userfiles import install_unit, systemd_unit
        from modeswitch.paths import xdg_dir

        executable = Path(sys.argv[0]).resolve()
        text = install_unit(executable, xdg_dir("XDG_CONFIG_HOME", ".config")) if args.install \
            else systemd_unit(executable)
        print(text, end="")
        return EXIT_OK
    if command == "demo":
        # The embedded libvirt driver logs to our stderr; its "tainted" warnings are about the
        # demo's own root-run QEMU and monitor use. Errors still show. Read at libvirt import.
        os.environ.setdefault("LIBVIRT_LOG_OUTPUTS", "4:stderr")
        from modeswitch.cli.demo import run_demo

        return run_demo()
    paths = Paths.from_environment()
    if command == "daemon":
        return _daemon(args, paths)
    if command == "reload":
        _print_json_or(_daemon_call(paths, ipc.Verb.RELOAD), False, _print_reload)
        return EXIT_OK
    if command == "history":
        return _history(args, paths)
    if command == "status":
        return _status(args, paths)
    if command == "plan":
        return _plan(args, paths)
    mode = args.mode if command == "switch" else command
    return _switch(args, paths, mode)


def _print_reload(result: dict[str, Any]) -> None:
    rewired = result.get("rewired") or []
    print("reloaded:", ", ".join(result["modes"]) + (f"; rebuilt {', '.join(rewired)}" if rewired else ""))


def _check(args: argparse.Namespace) -> int:
    config = _load(args)
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
        return EXIT_OK
    exists = "" if config.path and config.path.exists() else " (not present: defaults)"
    print(f"config  {config.path}{exists}")
    print(f"libvirt {config.libvirt_uri} domain {config.domain}")
    for name, mode in sorted(config.modes.items()):
        print(f"mode    {name:<10} {mode.source}")
    print(f"default {config.default_mode}; toggle {config.toggle[0]} <-> {config.toggle[1]}")
    print(f"triggers: {len(config.combos)} combo(s), {len(config.hotplug)} hotplug rule(s)")
    print("ok")
    return EXIT_OK


def _load(args: argparse.Namespace) -> Config:
    from modeswitch.config.loader import load_config  # yaml and the model load only when needed

    return load_config(args.config, required=args.config is not None)


def _daemon(args: argparse.Namespace, paths: Paths) -> int:
    import asyncio

    from modeswitch.daemon.service import run_daemon

    config = _load(args)
    return asyncio.run(run_daemon(config, paths, args.config))


def _daemon_call(paths: Paths, verb: ipc.Verb, **fields: Any) -> Any:
    """The result of one request; an error reply means the daemon refused it and changed
    nothing, which is a user error (exit 1) whatever its type."""
    reply = ipc.call(paths.socket, verb, **fields)
    if reply.get("ok"):
        return reply.get("result")
    error = reply.get("error") or {}
    if error.get("type") == "PermissionDenied":  # the daemon checked our uid: another user's seat
        raise ipc.not_yours(paths.socket, str(error.get("message")))
    raise ModeswitchError(str(error.get("message")))


def _print_json_or(result: Any, as_json: bool, human: Any) -> None:
    if as_json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        human(result)


def _daemon_running(paths: Paths) -> bool:
    return ipc.present(paths.socket)


def _status(args: argparse.Namespace, paths: Paths) -> int:
    if _daemon_running(paths):
        try:
            result = _daemon_call(paths, ipc.Verb.STATUS)
            _print_json_or(result, args.json, print_status)
            return EXIT_OK
        except (DaemonUnreachable, NoReply):
            pass  # a stale socket or a stopping daemon: look at the world directly
    _setup_logging(args.verbose, False)
    from modeswitch.cli.inprocess import status_in_process

    result = status_in_process(_load(args), paths)
    _print_json_or(result, args.json, print_status)
    return EXIT_OK


def _history(args: argparse.Namespace, paths: Paths) -> int:
    from modeswitch.core.history import HistoryLog

    records = HistoryLog(paths.history).tail(args.n)
    _print_json_or({"records": records}, args.json, print_history)
    return EXIT_OK


def _plan(args: argparse.Namespace, paths: Paths) -> int:
    """Through the daemon when it runs: it holds the connections (an embedded libvirt root
    admits one process at a time) and plans against the same state it would switch from."""
    if _daemon_running(paths):
        try:
            _print_json_or(_daemon_call(paths, ipc.Verb.PLAN, mode=args.mode), args.json, print_plan)
            return EXIT_OK
        except (DaemonUnreachable, NoReply):
            pass  # planning changes nothing, so looking here instead is safe
    _setup_logging(args.verbose, False)
    from modeswitch.cli.inprocess import plan_in_process

    result = plan_in_process(_load(args), paths, args.mode)
    _print_json_or(result, args.json, print_plan)
    return EXIT_OK


def _switch(args: argparse.Namespace, paths: Paths, mode: str) -> int:
    """Through the daemon when one answers. In-process only when no daemon could be reached
    at all: once a daemon has taken the request, running it here too could run it twice."""
    if not args.no_daemon and _daemon_running(paths):
        try:
            reply = _daemon_call(paths, ipc.Verb.SWITCH, mode=mode, source="cli")
        except DaemonUnreachable:
            reply = None
        if reply is not None:
            return _report(Outcome.from_dict(reply), args.json)
    _setup_logging(args.verbose, False)
    from modeswitch.cli.inprocess import switch_in_process

    return _report(switch_in_process(_load(args), paths, mode), args.json)


def _report(outcome: Outcome, as_json: bool) -> int:
    _print_json_or(outcome.as_dict(), as_json, lambda _: print_outcome(outcome))
    return int(outcome.exit_code)


if __name__ == "__main__":
    sys.exit(main())
