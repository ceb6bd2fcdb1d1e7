"""The kernel CEC API on /dev/cecN (linux/cec.h), spoken with ioctls: no cec daemon, no libcec.

Adapters in GPUs (DRM drivers register them with the HDMI connector's physical address) and
USB adapters such as Pulse-Eight's (through `inputattach --pulse8-cec`) all appear as
/dev/cecN. The structures mirror linux/cec.h field by field; their sizes, offsets and the
ioctl numbers are checked in the tests against the header compiled with gcc.
This is the only module that touches the device; everything it says is bytes for messages.py.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os

from modeswitch.errors import BackendError

MAX_MSG_SIZE = 16
MAX_LOG_ADDRS = 4
TX_STATUS_OK = 1 << 0
TX_STATUS_NACK = 1 << 2
RX_STATUS_OK = 1 << 0
RX_STATUS_TIMEOUT = 1 << 1
RX_STATUS_FEATURE_ABORT = 1 << 2
LOG_ADDR_TYPE_PLAYBACK = 3
PRIM_DEVTYPE_PLAYBACK = 4
ALL_DEVTYPE_PLAYBACK = 0x10
CEC_VERSION_1_4 = 5
VENDOR_ID_NONE = 0xFFFFFFFF
CAP_LOG_ADDRS = 1 << 1
MODE_NO_INITIATOR = 0x0
MODE_FOLLOWER = 0x1 << 4
MODE_MONITOR = 0xE << 4  # every frame this adapter sends and receives; needs CAP_NET_ADMIN


class CecMsg(ctypes.Structure):
    _fields_ = [("tx_ts", ctypes.c_uint64), ("rx_ts", ctypes.c_uint64), ("len", ctypes.c_uint32),
                ("timeout", ctypes.c_uint32), ("sequence", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("msg", ctypes.c_uint8 * MAX_MSG_SIZE), ("reply", ctypes.c_uint8), ("rx_status", ctypes.c_uint8),
                ("tx_status", ctypes.c_uint8), ("tx_arb_lost_cnt", ctypes.c_uint8), ("tx_nack_cnt", ctypes.c_uint8),
                ("tx_low_drive_cnt", ctypes.c_uint8), ("tx_error_cnt", ctypes.c_uint8)]


class CecCaps(ctypes.Structure):
    _fields_ = [("driver", ctypes.c_char * 32), ("name", ctypes.c_char * 32),
                ("available_log_addrs", ctypes.c_uint32), ("capabilities", ctypes.c_uint32),
                ("version", ctypes.c_uint32)]


class CecLogAddrs(ctypes.Structure):
    _fields_ = [("log_addr", ctypes.c_uint8 * MAX_LOG_ADDRS), ("log_addr_mask", ctypes.c_uint16),
                ("cec_version", ctypes.c_uint8), ("num_log_addrs", ctypes.c_uint8), ("vendor_id", ctypes.c_uint32),
                ("flags", ctypes.c_uint32), ("osd_name", ctypes.c_char * 15),
                ("primary_device_type", ctypes.c_uint8 * MAX_LOG_ADDRS),
                ("log_addr_type", ctypes.c_uint8 * MAX_LOG_ADDRS),
                ("all_device_types", ctypes.c_uint8 * MAX_LOG_ADDRS),
                ("features", (ctypes.c_uint8 * 12) * MAX_LOG_ADDRS)]


def _ioc(direction: int, number: int, size: int) -> int:
    """asm-generic/ioctl.h: dir << 30 | size << 16 | type << 8 | nr, type 'a' for CEC."""
    return direction << 30 | size << 16 | ord("a") << 8 | number


_WRITE, _READ = 1, 2
ADAP_G_CAPS = _ioc(_READ | _WRITE, 0, ctypes.sizeof(CecCaps))
ADAP_G_PHYS_ADDR = _ioc(_READ, 1, ctypes.sizeof(ctypes.c_uint16))
ADAP_G_LOG_ADDRS = _ioc(_READ, 3, ctypes.sizeof(CecLogAddrs))
ADAP_S_LOG_ADDRS = _ioc(_READ | _WRITE, 4, ctypes.sizeof(CecLogAddrs))
TRANSMIT = _ioc(_READ | _WRITE, 5, ctypes.sizeof(CecMsg))
RECEIVE = _ioc(_READ | _WRITE, 6, ctypes.sizeof(CecMsg))
G_MODE = _ioc(_READ, 8, ctypes.sizeof(ctypes.c_uint32))
S_MODE = _ioc(_WRITE, 9, ctypes.sizeof(ctypes.c_uint32))


def message(data: bytes, *, reply: int = 0, timeout_ms: int = 0) -> CecMsg:
    """A cec_msg to transmit; `reply` is the opcode to wait for (0: none) for `timeout_ms`."""
    msg = CecMsg()
    msg.len = len(data)
    msg.msg[: len(data)] = list(data)
    msg.reply, msg.timeout = reply, timeout_ms if reply else 0
    return msg


def playback_device(name: str = "modeswitch") -> CecLogAddrs:
    """The logical address request of a CEC 1.4 Playback Device (the kernel picks 4, 8 or 11)."""
    addrs = CecLogAddrs()
    addrs.num_log_addrs, addrs.cec_version, addrs.vendor_id = 1, CEC_VERSION_1_4, VENDOR_ID_NONE
    addrs.osd_name = name.encode()[:14]
    addrs.primary_device_type[0] = PRIM_DEVTYPE_PLAYBACK
    addrs.log_addr_type[0] = LOG_ADDR_TYPE_PLAYBACK
    addrs.all_device_types[0] = ALL_DEVTYPE_PLAYBACK
    return addrs


class CecDevice:
    """One open /dev/cecN. Blocking calls: the backend runs them in a worker thread."""

    def __init__(self, path: str, *, nonblocking: bool = False) -> None:
        self.path = path
        try:
            self.fd = os.open(path, os.O_RDWR | os.O_CLOEXEC | (os.O_NONBLOCK if nonblocking else 0))
        except OSError as exc:
            raise open_error(path, exc) from None

    def close(self) -> None:
        os.close(self.fd)

    def _ioctl(self, request: int, argument: ctypes.Structure | ctypes.c_uint16 | ctypes.c_uint32, what: str) -> None:
        try:
            fcntl.ioctl(self.fd, request, argument)
        except OSError as exc:
            raise ioctl_error(self.path, what, exc) from None

    def caps(self) -> CecCaps:
        caps = CecCaps()
        self._ioctl(ADAP_G_CAPS, caps, "read its capabilities")
        return caps

    def physical_address(self) -> int:
        value = ctypes.c_uint16()
        self._ioctl(ADAP_G_PHYS_ADDR, value, "read its physical address")
        return value.value

    def logical_address(self) -> int:
        """Our logical address: the one configured already, else claim a Playback Device."""
        addrs = CecLogAddrs()
        self._ioctl(ADAP_G_LOG_ADDRS, addrs, "read its logical addresses")
        if addrs.num_log_addrs == 0:
            if not self.caps().capabilities & CAP_LOG_ADDRS:
                raise BackendError(f"{self.path} has no logical address and cannot be given one",
                                   "configure it with cec-ctl --playback")
            addrs = playback_device()
            self._ioctl(ADAP_S_LOG_ADDRS, addrs, "claim a logical address")
        if addrs.log_addr[0] == 0xF:
            raise BackendError(f"{self.path} got no logical address on the bus", "is the HDMI cable connected?")
        return int(addrs.log_addr[0])

    def transmit(self, data: bytes, *, reply: int = 0, timeout_ms: int = 1000) -> CecMsg:
        """Send one frame; with `reply`, the kernel waits for that answer and returns it in place."""
        msg = message(data, reply=reply, timeout_ms=timeout_ms)
        self._ioctl(TRANSMIT, msg, "send a message")
        return msg

    def set_mode(self, mode: int) -> None:
        """How this open file takes part: MODE_NO_INITIATOR | MODE_FOLLOWER to be handed the
        frames for us and the broadcasts without keeping others from sending."""
        self._ioctl(S_MODE, ctypes.c_uint32(mode), "change its mode")

    def receive(self) -> bytes | None:
        """The next received frame, or None when none is queued (the file is non-blocking)."""
        msg = CecMsg()
        try:
            fcntl.ioctl(self.fd, RECEIVE, msg)
        except BlockingIOError:
            return None
        except OSError as exc:
            raise ioctl_error(self.path, "receive", exc) from None
        return bytes(msg.msg[: msg.len])


def open_error(path: str, exc: OSError) -> BackendError:
    if exc.errno == errno.ENOENT:
        return BackendError(f"no CEC adapter at {path}",
                            "ls /dev/cec*; a Pulse-Eight adapter needs `inputattach --pulse8-cec /dev/ttyACM0`")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return BackendError(f"no permission to open {path}",
                            f"add your user to the group owning {path} (ls -l {path}), usually 'video'")
    return BackendError(f"cannot open {path}: {exc.strerror}")


def ioctl_error(path: str, what: str, exc: OSError) -> BackendError:
    if exc.errno == errno.ENOTTY:
        return BackendError(f"{path} is not a CEC device (it cannot {what})", "use a /dev/cecN path")
    if exc.errno == errno.ENONET:
        return BackendError(f"{path} could not {what}: no logical address yet", "is the HDMI cable connected?")
    return BackendError(f"{path} could not {what}: {exc.strerror}")
