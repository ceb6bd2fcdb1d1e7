"""Every `modeswitch` command, one row each: its name and help, its options, the function that
runs it (imported only when that command runs), and for the daemon's hot paths the request it
is, so the thin client (cli/client.py) can answer them without building the argument parser.

This module imports nothing heavy: the thin client reads it on every start.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing itself is a few ms the thin client does without
if TYPE_CHECKING:
    from argparse import ArgumentParser
    from collections.abc import Callable
    from typing import Any

HIDDEN = "==SUPPRESS=="  # argparse.SUPPRESS, without importing argparse here


class Command:
    """`run` is "module:function" taking the parsed arguments and returning the exit code.
    `verb` and `request` make it a thin command: with a daemon running, it is one request,
    answered by `answer` ("module:function" taking the reply's result and --json)."""

    __slots__ = ("name", "help", "run", "options", "verb", "request", "positionals")

    def __init__(self, name: str, help: str, run: str, options: Callable[[ArgumentParser], None] | None = None,
                 *, verb: str | None = None, request: Callable[[list[str]], dict[str, Any]] | None = None,
                 positionals: int = 0) -> None:
        self.name, self.help, self.run, self.options = name, help, run, options
        self.verb, self.request, self.positionals = verb, request, positionals


def _json(parser: ArgumentParser, text: str = "stable machine-readable output") -> None:
    parser.add_argument("--json", action="store_true", help=text)


def _switching(parser: ArgumentParser) -> None:
    _json(parser, "print the transition record as JSON")
    parser.add_argument("--no-daemon", action="store_true", help="run in-process even if a daemon runs")


def _switch(parser: ArgumentParser) -> None:
    parser.add_argument("mode")
    _switching(parser)


def _plan(parser: ArgumentParser) -> None:
    parser.add_argument("mode")
    _json(parser)


def _history(parser: ArgumentParser) -> None:
    parser.add_argument("-n", type=int, default=10, metavar="N", help="how many (default 10)")
    _json(parser)


def _demo(parser: ArgumentParser) -> None:
    parser.add_argument("--keep-going", action="store_true", help=HIDDEN)


def _install(text: str) -> Callable[[ArgumentParser], None]:
    def options(parser: ArgumentParser) -> None:
        parser.add_argument("--install", action="store_true", help=text)

    return options


def _pads(parser: ArgumentParser) -> None:
    parser.add_argument("--capture", type=str, required=True, metavar="FILE",
                        help="pcap or pcapng from tcpdump -i usbmonN or Wireshark (link type 220)")


def _doctor(parser: ArgumentParser) -> None:
    _json(parser, "machine-readable findings")
    parser.add_argument("--resolution", metavar="WxH", help="the guest's resolution, to size Looking Glass "
                        "memory (default: the largest display mode in the modes, else 1920x1080)")


def _init(parser: ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true", help="take the proposal without asking")
    parser.add_argument("--json", action="store_true", help="print what was found (and write only with --yes)")
    parser.add_argument("--force", action="store_true", help="replace existing files (a .bak copy is kept)")
    parser.add_argument("--uri", default="qemu:///system", help="libvirt URI to look for domains (default %(default)s)")


def _events(parser: ArgumentParser) -> None:
    _json(parser, "one JSON object per line (for status bars)")


def _completion(parser: ArgumentParser) -> None:
    parser.add_argument("shell", nargs="?", choices=("bash", "zsh", "fish"))
    parser.add_argument("--list-modes", action="store_true", help=HIDDEN)


def _to(mode: str) -> Callable[[list[str]], dict[str, Any]]:
    return lambda _words: {"mode": mode, "source": "cli"}


SEAT = "modeswitch.cli.seatcmds"
COMMANDS: tuple[Command, ...] = (
    Command("tv", "switch to TV mode", f"{SEAT}:switch", _switching, verb="switch", request=_to("tv")),
    Command("desk", "switch to desk mode", f"{SEAT}:switch", _switching, verb="switch", request=_to("desk")),
    Command("toggle", "switch to the other mode of the toggle pair", f"{SEAT}:switch", _switching,
            verb="switch", request=_to("toggle")),
    Command("switch", "switch to any mode by name", f"{SEAT}:switch", _switch, verb="switch",
            request=lambda words: {"mode": words[0], "source": "cli"}, positionals=1),
    Command("plan", "show what switching to MODE would change, without doing it", f"{SEAT}:plan", _plan),
    Command("status", "the current mode and what the seat holds", f"{SEAT}:status", _json, verb="status",
            request=lambda _words: {}),
    Command("history", "the last transitions with per-step durations", f"{SEAT}:history", _history),
    Command("check", "validate config and modes; exit 1 with file:line:col on errors", f"{SEAT}:check", _json),
    Command("reload", "ask the daemon to re-read its config", f"{SEAT}:reload"),
    Command("daemon", "run the state machine in the foreground (for systemd --user)", f"{SEAT}:daemon"),
    Command("demo", "run a desk -> tv -> desk cycle on an embedded VM and private audio",
            "modeswitch.cli.democmd:command", _demo),
    Command("doctor", "check that this machine is ready: IOMMU, vfio-pci, Looking Glass, libvirt, audio, devices, "
            "the user unit", "modeswitch.cli.doctorcmd:command", _doctor),
    Command("init", "find your VM, keyboard, mouse, pads and sinks; write config.yaml and modes that name them",
            "modeswitch.cli.initcmd:command", _init),
    Command("events", "follow switches, state changes, triggers and reloads as they happen",
            "modeswitch.cli.events:command", _events),
    Command("systemd-unit", "print the systemd user unit (or install it)", "modeswitch.cli.userfiles:unit_command",
            _install("write it to $XDG_CONFIG_HOME/systemd/user")),
    Command("udev-rules", "print the udev rules (or install them as root)", "modeswitch.cli.userfiles:rules_command",
            _install("write them to /etc/udev/rules.d and reload udev")),
    Command("pads", "decode a usbmon capture: protocol and button changes per pad",
            "modeswitch.cli.padscapture:command", _pads),
    Command("completion", "print the shell completion script (bash, zsh or fish)",
            "modeswitch.cli.completion:command", _completion),
)

BY_NAME = {command.name: command for command in COMMANDS}


def thin_request(argv: list[str]) -> tuple[str, dict[str, Any], bool] | None:
    """(verb, request fields, --json) when `argv` is a thin command in its plain form:
    `[--config FILE] NAME [ARG] [--json]`; None for anything else (the full parser decides)."""
    if argv[:1] == ["--config"]:
        argv = argv[2:]  # the daemon has its own config; the socket comes from the environment
    as_json = argv[-1:] == ["--json"]
    words = argv[:-1] if as_json else argv
    command = BY_NAME.get(words[0]) if words else None
    if command is None or command.request is None or command.verb is None:
        return None
    arguments = words[1:]
    if len(arguments) != command.positionals or any(word.startswith("-") for word in arguments):
        return None
    return command.verb, command.request(arguments), as_json
