"""`modeswitch doctor` on a real PipeWire + WirePlumber: it names the server and WirePlumber
with their versions, reads what WirePlumber saved, and warns about what would undo a switch
(an application pinned by an earlier move, a rule that gives streams a target,
module-switch-on-connect)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from embedded_run import write_config
from pipewire_fixtures import linked_sinks, pin, unique
from pulse_fixtures import DESK, TV

from modeswitch.sandbox.private_pipewire import PrivatePipeWire, wait_until

MODESWITCH = str(Path(sys.executable).with_name("modeswitch"))
PIN_RULE = """# a pipewire-pulse rule: this game always plays on the desk speakers
pulse.rules = [
  { matches = [ { application.name = "~steam_app_.*" } ]
    actions = { update-props = { target.object = "%s" } } }
]
"""


def doctor(server: PrivatePipeWire, config_home: Path) -> dict[str, dict[str, str]]:
    assert server.dir is not None
    config = write_config(config_home, "qemu:///system", "win11", server.server, "*hdmi-stereo")
    env = {**os.environ, "XDG_CONFIG_HOME": str(config_home), "XDG_STATE_HOME": str(server.dir / "state")}
    done = subprocess.run([MODESWITCH, "--config", str(config), "doctor", "--json"], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL, env=env)
    assert "Traceback" not in done.stderr, done.stderr
    return {c["check"]: c for c in json.loads(done.stdout)["checks"]}


def test_doctor_names_pipewire_and_warns_about_what_would_undo_a_switch(tmp_path: Path) -> None:
    """A server of its own: doctor reads all of WirePlumber's memory, and the shared one holds
    what the other tests did (their rollbacks move streams back to sinks that are not the default)."""
    game = unique("game")
    with PrivatePipeWire([DESK, TV]) as server:
        found = doctor(server, tmp_path / "clean")
        software = found["audio.server"]["message"]
        assert " PipeWire " in software and " with WirePlumber " in software and software.endswith("2 sink(s)")
        assert found["audio.memory"]["status"] == "ok", found["audio.memory"]
        assert found["audio.rules"]["status"] == "ok", found["audio.rules"]

        first = server.play(app=game)  # then a mixer moves the game to the TV: it is pinned there
        wait_until(lambda: linked_sinks(server.pw_dump(), game) == {DESK[0]}, "the game on the desk")
        pin(server, game, TV[0])
        rules = tmp_path / "pinned" / "pipewire" / "pipewire-pulse.conf.d"
        rules.mkdir(parents=True)
        (rules / "50-game.conf").write_text(PIN_RULE % DESK[0])
        with server._pulse() as pulse:
            module = pulse.module_load("module-switch-on-connect", "")
        try:
            found = doctor(server, tmp_path / "pinned")
        finally:
            with server._pulse() as pulse:
                pulse.module_unload(module)
        memory, rules_check = found["audio.memory"], found["audio.rules"]
        assert memory["status"] == "warn" and f"{game} → {TV[0]}" in memory["message"], memory
        assert rules_check["status"] == "warn", rules_check
        assert f"50-game.conf:4 sends the streams its rule matches (target.object) to {DESK[0]}" in rules_check[
            "message"]
        assert "module-switch-on-connect is loaded" in rules_check["message"]
        server.stop_stream(first)
