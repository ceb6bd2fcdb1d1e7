"""The DDC/CI device edge against the real kernel header and kernel. No I2C bus with a monitor
exists here, so /dev/i2c-N is exercised on what does exist: the ioctl number from
linux/i2c-dev.h compiled with gcc, a missing node, a node that is not an I2C bus (ENOTTY), a
node we may not open."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from modeswitch.errors import BackendError
from modeswitch.parts.monitor import device
from modeswitch.parts.monitor.backend import DdcBackend


def test_i2c_slave_matches_the_kernel_header(tmp_path: Path) -> None:
    source = tmp_path / "i2c.c"
    source.write_text('#include <stdio.h>\n#include <linux/i2c-dev.h>\n'
                      'int main(void) { printf("%d\\n", I2C_SLAVE); return 0; }\n')
    subprocess.run(["gcc", "-o", str(tmp_path / "i2c"), str(source)], check=True, capture_output=True)
    assert int(subprocess.run([str(tmp_path / "i2c")], capture_output=True, text=True, check=True).stdout) == \
        device.I2C_SLAVE


def test_missing_bus_and_not_a_bus(tmp_path: Path) -> None:
    with pytest.raises(BackendError) as missing:
        device.I2cTransport(str(tmp_path / "i2c-9"))
    assert str(missing.value) == f"no I2C bus at {tmp_path / 'i2c-9'} (load the i2c-dev module: modprobe i2c-dev)"
    transport = device.I2cTransport("/dev/null")
    try:
        with pytest.raises(BackendError, match=r"^/dev/null is not an I2C bus \(use a /dev/i2c-N path\)$"):
            transport.talk(0x37, b"\x51\x82\x01\x60\xdc", 11, 0)
    finally:
        transport.close()


def test_no_bus_at_all_is_one_line_naming_what_was_seen(tmp_path: Path) -> None:
    import asyncio

    seen = asyncio.run(DdcBackend("DELL U2415", dev=tmp_path).observe())
    assert seen.bus is None and seen.error == "no monitor with model 'DELL U2415' on any I2C bus (seen: none)"


def test_no_permission_names_the_fix() -> None:
    with tempfile.TemporaryDirectory(prefix="ms-i2c-") as name:  # a dev dir the test user can list
        os.chmod(name, 0o755)
        node = Path(name) / "i2c-4"
        node.write_bytes(b"")
        node.chmod(0o600)
        check_permission_error(Path(name), node)


def check_permission_error(tmp_path: Path, node: Path) -> None:
    script = ("import asyncio, pathlib\nfrom modeswitch.parts.monitor.backend import DdcBackend\n"
              f"print(asyncio.run(DdcBackend(dev=pathlib.Path({str(tmp_path)!r})).observe()).error)\n")
    argv = [sys.executable, "-c", script]
    if os.geteuid() == 0:
        user = pwd.getpwnam("modeswitch-test")
        argv = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", *argv]
    env = {**os.environ, "PYTHONPATH": str(Path(device.__file__).parents[3])}
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    out = done.stdout.strip()
    assert out == (f"no monitor with an EDID on any I2C bus (seen: no permission to open {node} "
                   f"(add your user to the group owning {node} (ls -l {node}), usually 'i2c'))")
