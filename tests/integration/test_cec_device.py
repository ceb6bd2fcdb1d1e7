"""The CEC device edge against the real kernel header and the real kernel.

The ctypes structures must match linux/cec.h byte for byte, or every ioctl would hand the
kernel garbage: a small C program compiled here against the installed header (linux-libc-dev)
prints sizeof/offsetof and the ioctl numbers, and they are compared with Python's. No CEC
adapter exists on this machine, so the device itself is exercised on what does exist: a
missing node, a node that is not CEC (the kernel answers ENOTTY), a node we may not open.
"""

from __future__ import annotations

import ctypes
import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

from modeswitch.errors import BackendError
from modeswitch.parts.tv import device
from modeswitch.parts.tv.backend import CecBackend

FIELDS = {
    "cec_msg": ("CecMsg", ["tx_ts", "rx_ts", "len", "timeout", "sequence", "flags", "msg", "reply", "rx_status",
                           "tx_status", "tx_arb_lost_cnt", "tx_nack_cnt", "tx_low_drive_cnt", "tx_error_cnt"]),
    "cec_caps": ("CecCaps", ["driver", "name", "available_log_addrs", "capabilities", "version"]),
    "cec_log_addrs": ("CecLogAddrs", ["log_addr", "log_addr_mask", "cec_version", "num_log_addrs", "vendor_id",
                                      "flags", "osd_name", "primary_device_type", "log_addr_type",
                                      "all_device_types", "features"]),
}
IOCTLS = ["CEC_ADAP_G_CAPS", "CEC_ADAP_G_PHYS_ADDR", "CEC_ADAP_G_LOG_ADDRS", "CEC_ADAP_S_LOG_ADDRS", "CEC_TRANSMIT",
          "CEC_RECEIVE", "CEC_G_MODE", "CEC_S_MODE"]
CONSTANTS = ["CEC_TX_STATUS_OK", "CEC_TX_STATUS_NACK", "CEC_RX_STATUS_OK", "CEC_RX_STATUS_TIMEOUT",
             "CEC_RX_STATUS_FEATURE_ABORT", "CEC_LOG_ADDR_TYPE_PLAYBACK", "CEC_OP_PRIM_DEVTYPE_PLAYBACK",
             "CEC_OP_ALL_DEVTYPE_PLAYBACK", "CEC_OP_CEC_VERSION_1_4", "CEC_VENDOR_ID_NONE", "CEC_CAP_LOG_ADDRS",
             "CEC_MAX_MSG_SIZE", "CEC_MAX_LOG_ADDRS", "CEC_MODE_NO_INITIATOR", "CEC_MODE_FOLLOWER",
             "CEC_MODE_MONITOR"]


def header_facts(tmp_path: Path) -> dict[str, int]:
    lines = ["#include <stdio.h>", "#include <stddef.h>", "#include <sys/ioctl.h>",
             "#include <linux/cec.h>", "int main(void) {"]
    for struct, (_, fields) in FIELDS.items():
        lines.append(f'printf("sizeof {struct} %zu\\n", sizeof(struct {struct}));')
        lines += [f'printf("offsetof {struct}.{f} %zu\\n", offsetof(struct {struct}, {f}));' for f in fields]
    lines += [f'printf("{name} %lu\\n", (unsigned long){name});' for name in IOCTLS + CONSTANTS]
    lines.append("return 0; }")
    source, program = tmp_path / "cec_facts.c", tmp_path / "cec_facts"
    source.write_text("\n".join(lines))
    subprocess.run(["gcc", "-o", str(program), str(source)], check=True, capture_output=True)
    output = subprocess.run([str(program)], check=True, capture_output=True, text=True).stdout
    return {key: int(value) for key, value in (line.rsplit(" ", 1) for line in output.splitlines())}


def test_structures_and_ioctl_numbers_match_the_kernel_header(tmp_path: Path) -> None:
    facts = header_facts(tmp_path)
    for struct, (python_name, fields) in FIELDS.items():
        cls = getattr(device, python_name)
        assert ctypes.sizeof(cls) == facts[f"sizeof {struct}"], struct
        for name in fields:
            assert getattr(cls, name).offset == facts[f"offsetof {struct}.{name}"], f"{struct}.{name}"
    for name in IOCTLS:
        assert getattr(device, name.removeprefix("CEC_")) == facts[name], name
    for name in CONSTANTS:
        assert getattr(device, name.removeprefix("CEC_").removeprefix("OP_")) == facts[name], name


def test_a_message_is_laid_out_as_the_kernel_reads_it() -> None:
    msg = device.message(bytes.fromhex("408f"), reply=0x90, timeout_ms=1000)
    raw = bytes(msg)
    assert raw[device.CecMsg.len.offset] == 2 and raw[device.CecMsg.timeout.offset:][:4] == (1000).to_bytes(4, "little")
    assert raw[device.CecMsg.msg.offset:][:3] == b"\x40\x8f\x00" and raw[device.CecMsg.reply.offset] == 0x90
    assert device.message(b"\x40\x04").timeout == 0  # no reply asked: no wait
    addrs = device.playback_device()
    assert (addrs.num_log_addrs, addrs.log_addr_type[0], addrs.osd_name) == (1, 3, b"modeswitch")


def test_no_adapter_and_not_an_adapter(tmp_path: Path) -> None:
    with pytest.raises(BackendError) as missing:
        device.CecDevice(str(tmp_path / "cec7"))
    assert str(missing.value).startswith(f"no CEC adapter at {tmp_path / 'cec7'} (ls /dev/cec*; a Pulse-Eight")
    not_cec = device.CecDevice("/dev/null")
    try:
        with pytest.raises(BackendError, match=r"^/dev/null is not a CEC device \(it cannot read its physical"):
            not_cec.physical_address()
    finally:
        not_cec.close()


def test_the_backend_reports_the_adapter_problem_and_the_plan_refuses(tmp_path: Path) -> None:
    import asyncio

    from modeswitch.errors import PlanError
    from modeswitch.parts.tv.plan import plan_tv
    from modeswitch.parts.tv.spec import TvPower, TvSpec

    seen = asyncio.run(CecBackend("/dev/null").observe())
    assert seen.error is not None and seen.error.startswith("/dev/null is not a CEC device")
    with pytest.raises(PlanError, match="^/dev/null is not a CEC device"):
        plan_tv(TvSpec("/dev/null", TvPower.ON), seen)


def test_no_permission_names_the_fix(tmp_path: Path) -> None:
    """Opened as an unprivileged user: root may open anything, a user's daemon may not."""
    node = tmp_path / "cec0"
    node.write_bytes(b"")
    node.chmod(0o600)
    os.chmod(tmp_path, 0o755)
    script = ("import sys\nfrom modeswitch.parts.tv.device import CecDevice\n"
              "from modeswitch.errors import BackendError\n"
              f"try:\n    CecDevice({str(node)!r})\nexcept BackendError as e:\n    print(e)\n")
    argv = [sys.executable, "-c", script]
    if os.geteuid() == 0:
        user = pwd.getpwnam("modeswitch-test")
        argv = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", *argv]
    env = {**os.environ, "PYTHONPATH": str(Path(device.__file__).parents[3])}
    out = subprocess.run(argv, capture_output=True, text=True, env=env, check=True).stdout.strip()
    assert out == (f"no permission to open {node} (add your user to the group owning {node} "
                   f"(ls -l {node}), usually 'video')")
