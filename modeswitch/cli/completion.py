"""`modeswitch completion bash|zsh|fish`: completion scripts made from the argument parser
itself (so every subcommand and option anyone adds is in them), with mode names asked from
the user's config at completion time (`modeswitch completion --list-modes`)."""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from modeswitch.errors import ModeswitchError

SHELLS = ("bash", "zsh", "fish")


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    options: tuple[str, ...]
    takes_mode: bool  # a MODE positional: complete mode names
    choices: tuple[str, ...] = ()  # a positional with fixed choices
    file_options: tuple[str, ...] = ()  # options that take a path


def commands(parser: argparse.ArgumentParser) -> list[Command]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                found.append(_command(name, helps.get(name, ""), sub))
    return found


def _command(name: str, text: str, sub: argparse.ArgumentParser) -> Command:
    options: list[str] = []
    files: list[str] = []
    choices: tuple[str, ...] = ()
    mode = False
    for action in sub._actions:
        if action.help == argparse.SUPPRESS:
            continue
        if action.option_strings:
            options += [o for o in action.option_strings if o.startswith("--") or o in ("-n", "-h")]
            if action.type is Path or action.metavar in ("FILE", "PATH"):
                files += action.option_strings
        elif action.dest == "mode":
            mode = True
        elif action.choices:
            choices = tuple(str(c) for c in action.choices)
    return Command(name, text, tuple(options), mode, choices, tuple(files))


def global_options(parser: argparse.ArgumentParser) -> list[str]:
    return [o for a in parser._actions if a.option_strings for o in a.option_strings]


def list_modes(config: Path | None) -> list[str]:
    """Mode names for completion; a broken or missing config completes nothing."""
    from modeswitch.config.loader import load_config
    from modeswitch.errors import ModeswitchError

    try:
        return sorted(load_config(config, required=config is not None).modes)
    except (ModeswitchError, OSError):
        return []


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    return {"bash": bash, "zsh": zsh, "fish": fish}[shell](commands(parser), global_options(parser))


def bash(cmds: list[Command], globals_: list[str]) -> str:
    cases = []
    for c in cmds:
        branches = []
        if c.file_options:
            branches.append(f'[[ " {" ".join(c.file_options)} " == *" $prev "* ]]; then _modeswitch_files')
        branches.append(f"[[ $cur == -* ]]; then {_words(c.options)}")
        if c.takes_mode:
            branches.append("((npos == 0)); then _modeswitch_modes")
        elif c.choices:
            branches.append(f"((npos == 0)); then {_words(c.choices)}")
        cases.append(f"        {c.name}) if " + "; elif ".join(branches) + "; fi;;")
    return BASH.format(commands=" ".join(c.name for c in cmds), globals=" ".join(globals_),
                       cases="\n".join(cases))


def _words(words: tuple[str, ...]) -> str:
    return f"COMPREPLY=($(compgen -W {shlex.quote(' '.join(words))} -- \"$cur\"))"


BASH = """\
# bash completion for modeswitch: source it, or put it in
# ~/.local/share/bash-completion/completions/modeswitch
_modeswitch_modes() {{
    local IFS=$'\\n'
    COMPREPLY=($(compgen -W "$(modeswitch "${{config[@]}}" completion --list-modes 2>/dev/null)" -- "$cur"))
}}
_modeswitch_files() {{
    local IFS=$'\\n'
    COMPREPLY=($(compgen -f -- "$cur"))
}}
_modeswitch() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    local cmd="" npos=0 i
    local -a config=()
    COMPREPLY=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in
            --config) config=(--config "${{COMP_WORDS[i+1]}}"); ((i++));;
            -*) ;;
            *) if [[ -z $cmd ]]; then cmd="${{COMP_WORDS[i]}}"; else ((npos++)); fi;;
        esac
    done
    if [[ $prev == --config ]]; then _modeswitch_files; return; fi
    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "{commands} {globals}" -- "$cur"))
        return
    fi
    case "$cmd" in
{cases}
    esac
}}
complete -F _modeswitch modeswitch
"""


def zsh(cmds: list[Command], globals_: list[str]) -> str:
    described = "\n".join(f"        {shlex.quote(c.name + ':' + c.help.replace(':', ' '))}" for c in cmds)
    cases = []
    for c in cmds:
        parts = [f"'{o}[]'" if o not in c.file_options else f"'{o}[]:file:_files'" for o in c.options]
        if c.takes_mode:
            parts.append("'1:mode:_modeswitch_modes'")
        elif c.choices:
            parts.append(f"'1:{c.name}:({' '.join(c.choices)})'")
        cases.append(f"        {c.name}) _arguments {' '.join(parts)} ;;")
    return ZSH.format(described=described, cases="\n".join(cases))


ZSH = """\
#compdef modeswitch
# zsh completion for modeswitch: save as _modeswitch in a directory of your $fpath
# (e.g. ~/.zfunc with fpath=(~/.zfunc $fpath) before compinit).
_modeswitch_modes() {{
    local -a modes config
    [[ -n $_modeswitch_config ]] && config=(--config ${{(e)_modeswitch_config}})
    modes=(${{(f)"$(modeswitch $config completion --list-modes 2>/dev/null)"}})
    _describe -t modes 'mode' modes
}}
_modeswitch() {{
    local -a commands
    commands=(
{described}
    )
    local context state state_descr line
    typeset -A opt_args
    _arguments -C '--config[config file]:file:_files' '(-v --verbose)'{{-v,--verbose}}'[log debug details]' \\
        '--version[print the version]' '1:command:->command' '*::arg:->args'
    local _modeswitch_config=${{opt_args[--config]}}  # the subcommand's _arguments resets opt_args
    case $state in
        command) _describe -t commands 'modeswitch command' commands ;;
        args)
            case ${{line[1]}} in
{cases}
            esac ;;
    esac
}}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _modeswitch "$@"
else
    compdef _modeswitch modeswitch
fi
"""


def fish(cmds: list[Command], globals_: list[str]) -> str:
    names = " ".join(c.name for c in cmds)
    lines = [FISH_HEAD]
    for option in ("--config", "-v", "--verbose", "--version", "-h", "--help"):
        flag = f"-l {option[2:]}" if option.startswith("--") else f"-s {option[1:]}"
        extra = " -r -F" if option == "--config" else ""
        lines.append(f"complete -c modeswitch -n '__fish_use_subcommand' {flag}{extra}")
    for c in cmds:
        lines.append(f"complete -c modeswitch -n '__fish_use_subcommand' -f -a {c.name} -d {shlex.quote(c.help)}")
        seen = f"'__fish_seen_subcommand_from {c.name}'"
        for option in c.options:
            flag = f"-l {option[2:]}" if option.startswith("--") else f"-s {option[1:]}"
            extra = " -r -F" if option in c.file_options else ""
            lines.append(f"complete -c modeswitch -n {seen} {flag}{extra}")
        if c.takes_mode:
            lines.append(f"complete -c modeswitch -n {seen} -f -a '(__modeswitch_modes)'")
        elif c.choices:
            lines.append(f"complete -c modeswitch -n {seen} -f -a {shlex.quote(' '.join(c.choices))}")
    lines.append(f"# commands: {names}")
    return "\n".join(lines) + "\n"


FISH_HEAD = """\
# fish completion for modeswitch: save as ~/.config/fish/completions/modeswitch.fish
complete -c modeswitch -f
function __modeswitch_modes
    set -l tokens (commandline -opc)
    set -l config
    set -l i (contains -i -- --config $tokens)
    and set config --config $tokens[(math $i + 1)]
    modeswitch $config completion --list-modes 2>/dev/null
end"""


def command(args: argparse.Namespace) -> int:
    """`modeswitch completion SHELL`, and `--list-modes` for the scripts at completion time."""
    from modeswitch.cli.main import build_parser  # the scripts are made from the parser itself

    if args.list_modes:
        sys.stdout.write("".join(f"{name}\n" for name in list_modes(args.config)))
        return 0
    if args.shell is None:
        raise ModeswitchError("which shell?", "modeswitch completion bash (or zsh, fish)")
    sys.stdout.write(script(args.shell, build_parser()))
    return 0
