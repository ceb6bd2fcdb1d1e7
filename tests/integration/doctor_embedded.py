"""Run `doctor` against a fresh embedded VM in a process of its own and print the findings
as JSON. libvirt lets one process register its embedded QEMU driver only so many times, and
the test process already spends that budget on the libvirt tests.

    python doctor_embedded.py CONFIG_DIR PULSE_SERVER TV_SINK [DOMAIN]
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from modeswitch.doctor.roots import Roots
from modeswitch.doctor.run import doctor
from modeswitch.sandbox.embedded_vm import EmbeddedVm


def write_config(root: Path, uri: str, domain: str, server: str, tv_sink: str) -> Path:
    (root / "modes").mkdir(parents=True, exist_ok=True)
    (root / "modes" / "tv.yaml").write_text(f"vm: running\nusb: []\naudio:\n  sink: '{tv_sink}'\n")
    (root / "modes" / "desk.yaml").write_text(
        "vm: running\ninputs:\n  - path: /dev/input/by-id/usb-Logitech_USB_Keyboard-event-kbd\n"
        "audio:\n  description: '*Speakers*'\n")
    config = root / "config.yaml"
    config.write_text(f"libvirt:\n  uri: {uri}\n  domain: {domain}\naudio:\n  server: {server}\n")
    return config


async def main(root: Path, server: str, tv_sink: str, domain: str | None) -> None:
    async with EmbeddedVm("modeswitch-doctor", pads=0) as vm:
        config = write_config(root, vm.uri, domain or vm.domain, server, tv_sink)
        environment = Roots.from_environment()
        roots = Roots(path=os.environ.get("PATH", ""), config_home=root, uid=environment.uid, gids=environment.gids)
        findings = await doctor(roots, config)
        print(json.dumps({"domain": vm.domain, "checks": [asdict(f) for f in findings]}))


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None))
