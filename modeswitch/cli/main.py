"""The full `modeswitch` command line: the parser built from the command table, and the one
dispatch through it. The thin client (cli/client.py) hands over here for everything that is
not a single request to a running daemon.

Exit codes (modeswitch.core.outcome.ExitCode): 0 ok · 1 user error (bad config, unknown mode,
target unreachable; nothing was changed) · 2 the transition failed and was rolled back (also
when the daemon stopped mid-switch) · 3 the daemon was needed and is not reachable · 4 the
request was superseded by a later one before it ran, and changed nothing.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

from modeswitch import __version__
from modeswitch.cli.commands import BY_NAME, COMMANDS
from modeswitch.core.outcome import ExitCode
from modeswitch.errors import ConfigError, DaemonUnreachable, ModeswitchError, NoReply, NotYourDaemon
from modeswitch.paths import default_config_path

# Commands that are a single request when a daemon runs: logging is set up only if they fall
# back to doing the work in this process (cli/seatcmds.py does that then).
_THIN = {"status", "plan", "history", "reload", "tv", "desk", "toggle", "switch"}


def build_parser() -> argparse.ArgumentParser:
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
    for command in COMMANDS:
        options = sub.add_parser(command.name, help=command.help, description=command.help)
        if command.options is not None:
            command.options(options)
    return parser


def runner(name: str) -> Callable[[argparse.Namespace], int]:
    module, function = BY_NAME[name].run.split(":")
    found: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(module), function)
    return found


def run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.verbose or args.command not in _THIN:
        setup_logging(args.verbose, args.command == "daemon")
    try:
        return runner(args.command)(args)
    except (DaemonUnreachable, NotYourDaemon) as exc:
        return _failed(exc, ExitCode.DAEMON_UNREACHABLE)
    except NoReply as exc:  # the daemon took the switch and stopped: never run it again here
        return _failed(exc, ExitCode.ROLLED_BACK)
    except (ConfigError, ModeswitchError) as exc:  # refused before anything was touched
        return _failed(exc, ExitCode.USER_ERROR)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: one line for the user, the traceback with -v
        if args.verbose:
            import traceback

            traceback.print_exc()
        print(f"modeswitch: internal error: {type(exc).__name__}: {exc} (rerun with -v for details)",
              file=sys.stderr)
        return int(ExitCode.ROLLED_BACK)


def _failed(exc: Exception, code: ExitCode) -> int:
    print(f"modeswitch: {exc}", file=sys.stderr)
    return int(code)


def setup_logging(verbose: bool, daemon: bool) -> None:
    import logging

    from modeswitch.cli.logsetup import JournalFormatter
    from modeswitch.logsink import route_libvirt_logs

    # Before anything imports libvirt: its own log lines become our debug records (-v shows them).
    route_libvirt_logs(logging.getLogger("modeswitch.libvirt"))
    if logging.getLogger().handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JournalFormatter() if os.environ.get("JOURNAL_STREAM") else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO if daemon else logging.WARNING)


if __name__ == "__main__":
    from modeswitch.cli.client import main

    sys.exit(main())
