"""Run `doctor` or `init` against a fresh embedded VM in a process of its own. libvirt lets
one process register its embedded QEMU driver only so many times, and the test process
already spends that budget on the libvirt tests.

    python embedded_run.py doctor CONFIG_DIR PULSE_SERVER TV_SINK [DOMAIN]   → findings as JSON
    python embedded_run.py init CONFIG_PATH DEV_ROOT PATH [--force ...]     → init's output
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from modeswitch.cli.initcmd import run_init
from modeswitch.doctor.roots import Roots
from modeswitch.doctor.run import doctor
from modeswitch.sandbox.embedded_vm import EmbeddedVm
from modeswitch.setup.discover import discover


def write_config(root: Path, uri: str, domain: str, server: str, tv_sink: str) -> Path:
    (root / "modes").mkdir(parents=True, exist_ok=True)
    (root / "modes" / "tv.yaml").write_text(f"vm: running\nusb: []\naudio:\n  sink: '{tv_sink}'\n")
    (root / "modes" / "desk.yaml").write_text(
        "vm: running\ninputs:\n  - path: /dev/input/by-id/usb-Logitech_USB_Keyboard-event-kbd\n"
        "audio:\n  description: '*Speakers*'\n")
    config = root / "config.yaml"
    config.write_text(f"libvirt:\n  uri: {uri}\n  domain: {domain}\naudio:\n  server: {server}\n")
    return config


async def run_doctor(root: Path, server: str, tv_sink: str, domain: str | None) -> None:
    async with EmbeddedVm("modeswitch-doctor", pads=0) as vm:
        config = write_config(root, vm.uri, domain or vm.domain, server, tv_sink)
        environment = Roots.from_environment()
        roots = Roots(path=os.environ.get("PATH", ""), config_home=root, uid=environment.uid, gids=environment.gids)
        findings = await doctor(roots, config)
        print(json.dumps({"domain": vm.domain, "checks": [asdict(f) for f in findings]}))


async def init(config: Path, dev: Path, path: str, flags: list[str]) -> None:
    """The VM's own sysfs tree holds its stand-in pads (Xbox 360 ids); the answers to any
    prompt come from our stdin."""
    async with EmbeddedVm("modeswitch-init", pads=2) as vm:
        args = argparse.Namespace(config=config, uri=vm.uri, yes="--yes" in flags, json="--json" in flags,
                                  force="--force" in flags)
        found = await discover(Roots(sys=vm.sysfs.parents[2], dev=dev, path=path), vm.uri, None)
        out = io.StringIO()
        code = run_init(args, found, sys.stdin, out, "--interactive" in flags)
        print(json.dumps({"code": code, "uri": vm.uri, "domain": vm.domain, "output": out.getvalue()}))


if __name__ == "__main__":
    if sys.argv[1] == "doctor":
        argv = sys.argv[2:]
        asyncio.run(run_doctor(Path(argv[0]), argv[1], argv[2], argv[3] if len(argv) > 3 else None))
    else:
        asyncio.run(init(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], sys.argv[5:]))
