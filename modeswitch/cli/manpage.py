"""modeswitch(1), written from the argument parser itself, so the man page the Debian package
ships lists every subcommand and option the program has (`python3 -m modeswitch.cli.manpage`).

The parser's help for --config names the builder's own home; the page names the variable."""

from __future__ import annotations

import argparse
import sys

from modeswitch import __version__
from modeswitch.paths import default_config_path

CONFIG_DEFAULT = "$XDG_CONFIG_HOME/modeswitch/config.yaml"

FILES = (
    ("$XDG_CONFIG_HOME/modeswitch/config.yaml", "settings; optional"),
    ("$XDG_CONFIG_HOME/modeswitch/modes/*.yaml", "your modes; /usr/share/modeswitch/modes holds commented examples"),
    ("$XDG_RUNTIME_DIR/modeswitch/control.sock", "the daemon's control socket (0600, peer uid checked)"),
    ("$XDG_STATE_HOME/modeswitch/history.jsonl", "one JSON line per transition"),
    ("/usr/lib/systemd/user/modeswitch.service", "the user unit: systemctl --user enable --now modeswitch"),
    ("/usr/lib/udev/rules.d/70-modeswitch.rules",
     "gamepads and /dev/kvmfr* for the seat's user, /dev/usbmon* for group usbmon"),
)


def escape(text: str) -> str:
    """roff: backslashes and hyphens literal, and no line may start with a control character."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join("\\&" + line if line.startswith((".", "'")) else line for line in text.splitlines())


def _help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    text = parser._get_formatter()._expand_help(action) if action.help else ""
    return text.replace(str(default_config_path()), CONFIG_DEFAULT)


def _option(parser: argparse.ArgumentParser, action: argparse.Action) -> list[str]:
    names = ", ".join(f"\\fB{escape(name)}\\fR" for name in action.option_strings)
    if action.nargs != 0:
        names += f" \\fI{escape(str(action.metavar or action.dest.upper()))}\\fR"
    return [".TP", names, escape(_help(parser, action))]


def _visible(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [a for a in parser._actions if a.help != argparse.SUPPRESS and not isinstance(a, argparse._HelpAction)
            and not isinstance(a, argparse._SubParsersAction)]


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            found += [(name, helps.get(name, ""), sub) for name, sub in action.choices.items()]
    return found


def _usage(sub: argparse.ArgumentParser) -> str:
    usage = " ".join(sub.format_usage().split())  # one line: the page wraps it
    return usage.removeprefix("usage: ")


def _command(name: str, text: str, sub: argparse.ArgumentParser) -> list[str]:
    lines = [".SS " + escape(name), escape(_usage(sub)), ".PP", escape(text or sub.description or "")]
    for action in _visible(sub):
        if action.option_strings:
            lines += _option(sub, action)
        elif action.choices:
            choices = "|".join(str(c) for c in action.choices)
            lines += [".TP", f"\\fI{escape(choices)}\\fR", escape(_help(sub, action))]
    return lines


def render(parser: argparse.ArgumentParser) -> str:
    lines = [f'.TH MODESWITCH 1 "" "modeswitch {__version__}" "User Commands"',
             ".SH NAME", "modeswitch \\- " + escape(parser.description or ""),
             ".SH SYNOPSIS", "\\fBmodeswitch\\fR [\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]",
             ".SH OPTIONS"]
    for action in _visible(parser):
        lines += _option(parser, action)
    lines.append(".SH COMMANDS")
    for name, text, sub in _subcommands(parser):
        lines += _command(name, text, sub)
    lines += [".SH NOTES", escape((parser.epilog or "").replace(str(default_config_path()), CONFIG_DEFAULT)),
              ".SH FILES"]
    for path, what in FILES:
        lines += [".TP", f"\\fI{escape(path)}\\fR", escape(what)]
    return "\n".join(line for line in lines if line) + "\n"


def main() -> int:
    from modeswitch.cli.main import build_parser

    sys.stdout.write(render(build_parser()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
