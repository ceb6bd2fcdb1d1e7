"""Shell completion run by the real shells: bash's completion function with compgen, fish's
`complete -C`, zsh's completion system in a pseudo-terminal (zpty). Mode names come from the
user's config through `modeswitch completion --list-modes`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BIN = str(Path(sys.executable).parent)
MODESWITCH = str(Path(BIN) / "modeswitch")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("completion")
    (root / "cfg" / "modes").mkdir(parents=True)
    for mode in ("desk", "tv", "movie"):
        (root / "cfg" / "modes" / f"{mode}.yaml").write_text(f"name: {mode}\n")
    (root / "cfg" / "config.yaml").write_text("default_mode: desk\n")
    (root / "broken.yaml").write_text("toggle: [only-one]\n")
    for shell in ("bash", "zsh", "fish"):
        name = {"bash": "modeswitch.bash", "zsh": "_modeswitch", "fish": "modeswitch.fish"}[shell]
        script = subprocess.run([MODESWITCH, "completion", shell], capture_output=True, text=True, check=True)
        (root / name).write_text(script.stdout)
    return root


def env(home: Path) -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "XDG_CONFIG_HOME": str(home / "nothing")}


def bash_complete(home: Path, *words: str) -> list[str]:
    program = f"""source {home / 'modeswitch.bash'}
COMP_WORDS=({' '.join(f"'{w}'" for w in words)}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
_modeswitch
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    done = subprocess.run(["bash", "--norc", "-c", program], capture_output=True, text=True, env=env(home),
                          timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return sorted(line for line in done.stdout.splitlines() if line)


def test_bash_registers_the_function(home: Path) -> None:
    done = subprocess.run(["bash", "--norc", "-c", f"source {home / 'modeswitch.bash'}; complete -p modeswitch"],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "complete -F _modeswitch modeswitch"


@pytest.mark.parametrize(("words", "expected"), [
    (("modeswitch", "sw"), ["switch"]),
    (("modeswitch", "d"), ["daemon", "demo", "desk", "doctor"]),
    (("modeswitch", "--config", "{cfg}", "switch", ""), ["desk", "movie", "tv"]),
    (("modeswitch", "--config", "{cfg}", "plan", "m"), ["movie"]),
    (("modeswitch", "--config", "{cfg}", "plan", "movie", ""), []),  # one mode only
    (("modeswitch", "--config", "{broken}", "switch", ""), []),  # a broken config completes nothing, quietly
    (("modeswitch", "completion", ""), ["bash", "fish", "zsh"]),
    (("modeswitch", "doctor", "--"), ["--help", "--json", "--resolution"]),
    (("modeswitch", "events", "--j"), ["--json"]),
    (("modeswitch", "-v", "init", "--f"), ["--force"]),
    (("modeswitch", "--config", "{home}/cf"), ["{home}/cfg"]),
])
def test_bash(home: Path, words: tuple[str, ...], expected: list[str]) -> None:
    fill = {"cfg": str(home / "cfg" / "config.yaml"), "broken": str(home / "broken.yaml"), "home": str(home)}
    assert bash_complete(home, *(w.format(**fill) for w in words)) == [e.format(**fill) for e in expected]


def fish_complete(home: Path, line: str) -> list[str]:
    done = subprocess.run(["fish", "--no-config", "-c", f"source {home / 'modeswitch.fish'}; complete -C'{line}'"],
                          capture_output=True, text=True, env=env(home), timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return sorted(line.split("\t", 1)[0] for line in done.stdout.splitlines())


def test_fish(home: Path) -> None:
    cfg = home / "cfg" / "config.yaml"
    assert fish_complete(home, f"modeswitch --config {cfg} switch ") == ["desk", "movie", "tv"]
    assert fish_complete(home, "modeswitch doc") == ["doctor"]
    assert fish_complete(home, "modeswitch completion ") == ["bash", "fish", "zsh"]
    assert "--json" in fish_complete(home, "modeswitch events --")


ZPTY = """\
zmodload zsh/zpty
zpty -b z 'zsh -f -i'
zpty -w z 'PS1="%% "; fpath=({home} $fpath); autoload -U compinit; compinit -u -D; setopt nobeep'
zpty -w -n z $'{line}\\t'
out=""
for i in {{1..400}}; do
  zpty -r -t z chunk && out+=$chunk
  [[ $out == *{expect}* ]] && break
  sleep 0.05
done
zpty -d z
print -r -- "$out"
"""


@pytest.mark.parametrize(("line", "expect", "shown_after"), [
    ("modeswitch --config {cfg} plan ", "movie", r"\ndesk +movie +tv"),  # listed below the line
    ("modeswitch even", "events", r"modeswitch events "),  # the one match, filled in
])
def test_zsh_in_a_terminal(home: Path, tmp_path: Path, line: str, expect: str, shown_after: str) -> None:
    script = tmp_path / "drive.zsh"
    script.write_text(ZPTY.format(home=home, line=line.format(cfg=home / "cfg" / "config.yaml"), expect=expect))
    done = subprocess.run(["zsh", "-f", str(script)], capture_output=True, text=True, env=env(home), timeout=120)
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", done.stdout)
    _setup, _, after = shown.partition("nobeep")  # what the terminal showed once the line was typed
    assert re.search(shown_after, after.replace("\r", "")), shown
