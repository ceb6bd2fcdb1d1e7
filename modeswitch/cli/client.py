"""The `modeswitch` command's entry point: the thin client of the daemon.

With a daemon running, `status` and the switches (`tv`, `desk`, `toggle`, `switch NAME`, each
with or without --json) are one request on the control socket: this module answers them with
the socket protocol and the renderer only, without the argument parser, the config or any
backend (status bars ask every few seconds, key bindings switch). Everything else, or no
daemon to answer, goes to the full command line (cli/main.py), which reports errors.
"""

from __future__ import annotations

import sys

from modeswitch import ipc, wire
from modeswitch.cli.commands import thin_request
from modeswitch.cli.render_status import print_status
from modeswitch.errors import ModeswitchError, NoReply
from modeswitch.runtime_dir import control_socket

EXIT_FAILED = 2

TYPE_CHECKING = False  # typing itself is a few ms this module does without
if TYPE_CHECKING:
    from typing import Any


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    thin = thin_request(argv)
    if thin is not None:
        verb, fields, as_json = thin
        try:
            reply = ipc.call(control_socket(), verb, **fields)
        except NoReply as exc:  # the daemon took the switch: never run it again in-process
            print(f"modeswitch: {exc}", file=sys.stderr)
            return EXIT_FAILED
        except (ModeswitchError, OSError):
            reply = None  # nothing was done: the full path tries again and says what is wrong
        if reply is not None and reply.get("ok"):
            return answer(verb, reply["result"], as_json)
    from modeswitch.cli.main import run  # the full command line: argparse, config, in-process

    return run(argv)


def answer(verb: str, result: Any, as_json: bool) -> int:
    """Print a daemon's answer to a thin command the way the full path prints it."""
    if verb == "switch":
        # a switch's answer: the outcome's vocabulary and its renderer, which status does without
        from modeswitch.cli.render import print_outcome
        from modeswitch.core.outcome import Outcome

        outcome = Outcome.from_dict(result)
        if as_json:
            _print_json(outcome.as_dict())
        else:
            print_outcome(outcome)
        return int(outcome.exit_code)
    if as_json:
        _print_json(result)
    else:
        print_status(result)
    return 0


def _print_json(value: Any) -> None:
    print(wire.pretty(value))


if __name__ == "__main__":
    sys.exit(main())
