"""Requests that reach the daemon while it is still connecting its backends wait for them.

The control socket comes up first (so a second daemon is refused before anything is
touched); with libvirt's embedded driver the first connection probes QEMU for seconds, which
is a wide window for a client that connects as soon as the socket file exists.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from daemon_fixtures import MODESWITCH, make_tree, request
from support.waiting import wait_for

from modeswitch.sandbox.embedded_vm import QEMU_CONF, domain_xml


def define_vm(root: Path) -> str:
    """An embedded root with a defined, shut-off VM; virsh exits, so the daemon may open it."""
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "qemu.conf").write_text(QEMU_CONF)
    xml = root / "domain.xml"
    xml.write_text(domain_xml("startup", shutil.which("qemu-system-x86_64") or "qemu-system-x86_64"))
    uri = f"qemu:///embed?root={root}"
    subprocess.run(["virsh", "-q", "-c", uri, "define", str(xml)], check=True, capture_output=True, timeout=120)
    return uri


def test_a_request_during_backend_start_waits_and_is_answered() -> None:
    # No subreaper here: libvirt's QEMU probe daemonizes, and libvirt waits for it to be reaped.
    tree = make_tree()
    try:
        uri = define_vm(tree.root / "vmroot")
        tree.config.write_text(f'libvirt: {{uri: "{uri}", domain: startup}}\ndefault_mode: desk\n')
        tree.write_mode("desk", "vm: any\nusb: []\n")
        tree.write_mode("tv", "vm: any\nusb: [{{kind: gamepad}}]\n")
        daemon = tree.start_daemon(wait=False)
        wait_for(lambda: tree.socket.exists() or daemon.poll() is not None, "the control socket")
        reply = request(tree.socket, {"verb": "status"}, timeout=120)
        assert reply["ok"] is True, (reply, tree.log.read_text())
        assert reply["result"]["seat"]["vm"]["domain"] == "startup"
        assert reply["result"]["seat"]["vm"]["state"] == "shutoff"
        done = subprocess.run([MODESWITCH, "--config", str(tree.config), "plan", "tv", "--json"],
                              env=tree.env(), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["target"] == "tv"
        assert tree.stop(daemon) == 0
    finally:
        tree.cleanup()
