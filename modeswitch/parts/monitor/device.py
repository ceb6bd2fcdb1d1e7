"""DDC/CI on /dev/i2c-N (the i2c-dev module): choose the slave address, write, wait, read.

Why not ddcutil: the protocol needed here is two packets (Get and Set VCP 0x60) and one EDID
read, so speaking it directly keeps every byte table-tested, avoids parsing ddcutil's output
(its wording changed between 1.x, which Debian 12 ships, and 2.x) and its multi-second
`detect`. What ddcutil adds, the timing and the retries, is done here as the DDC/CI spec says:
40 ms between a request and reading its reply, 50 ms after a Set, a few retries when the
reply is garbled or null.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Callable
from typing import Protocol

from modeswitch.errors import BackendError
from modeswitch.parts.monitor.packets import (
    DDC_ADDRESS,
    EDID_ADDRESS,
    DdcError,
    VcpValue,
    get_vcp,
    parse_vcp_reply,
    set_vcp,
)

I2C_SLAVE = 0x0703  # linux/i2c-dev.h, checked against the header in the tests
REPLY_WAIT = 0.04
SET_WAIT = 0.05
TRIES = 3


class I2cTransport:
    """One open /dev/i2c-N: write to a slave address, wait, read its answer."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self.fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        except OSError as exc:
            raise open_error(path, exc) from None

    def close(self) -> None:
        os.close(self.fd)

    def talk(self, address: int, data: bytes, answer: int, wait: float) -> bytes:
        try:
            fcntl.ioctl(self.fd, I2C_SLAVE, address)
            os.write(self.fd, data)
            if not answer:
                return b""
            time.sleep(wait)
            return os.read(self.fd, answer)
        except OSError as exc:
            raise io_error(self.path, address, exc) from None


class Transport(Protocol):
    path: str

    def talk(self, address: int, data: bytes, answer: int, wait: float) -> bytes: ...

    def close(self) -> None: ...


class DdcMonitorLink:
    """DDC/CI over a transport: the packets, their checksums and the retries."""

    def __init__(self, transport: Transport, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.transport = transport
        self.sleep = sleep

    def close(self) -> None:
        self.transport.close()

    def edid(self) -> bytes:
        """The EDID base block: write offset 0 to 0x50, read 128 bytes."""
        return self.transport.talk(EDID_ADDRESS, b"\x00", 128, 0)

    def get_vcp(self, feature: int) -> VcpValue:
        last = ""
        for _ in range(TRIES):
            reply = self.transport.talk(DDC_ADDRESS, get_vcp(feature), 11, REPLY_WAIT)
            try:
                return parse_vcp_reply(reply, feature)
            except DdcError as exc:
                if "does not support" in str(exc):
                    raise BackendError(f"{exc} on {self.transport.path}", "check its menu for DDC/CI") from None
                last = str(exc)
                self.sleep(SET_WAIT)
        raise BackendError(f"the monitor on {self.transport.path} gave no usable DDC/CI answer: {last}",
                           "is DDC/CI switched on in the monitor's menu?")

    def set_vcp(self, feature: int, value: int) -> None:
        self.transport.talk(DDC_ADDRESS, set_vcp(feature, value), 0, 0)
        self.sleep(SET_WAIT)


def open_link(path: str) -> DdcMonitorLink:
    return DdcMonitorLink(I2cTransport(path))


def open_error(path: str, exc: OSError) -> BackendError:
    if exc.errno == errno.ENOENT:
        return BackendError(f"no I2C bus at {path}", "load the i2c-dev module: modprobe i2c-dev")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return BackendError(f"no permission to open {path}",
                            f"add your user to the group owning {path} (ls -l {path}), usually 'i2c'")
    return BackendError(f"cannot open {path}: {exc.strerror}")


def io_error(path: str, address: int, exc: OSError) -> BackendError:
    if exc.errno == errno.ENOTTY:
        return BackendError(f"{path} is not an I2C bus", "use a /dev/i2c-N path")
    if exc.errno in (errno.ENXIO, errno.EREMOTEIO, errno.EIO):
        what = "no EDID" if address == EDID_ADDRESS else "no DDC/CI answer"
        return BackendError(f"{what} on {path}: {exc.strerror}",
                            "no monitor there, DDC/CI off in its menu, or it shows another computer")
    return BackendError(f"{path}: {exc.strerror}")
