"""Stand-in pads that are real USB devices: configfs gadgets on the test guest's dummy_hcd.

Run inside the guest (sandbox/guest_python.py carries this package), driven through the agent:

    python3 -m modeswitch.sandbox.gadgets hid NAME [UDC]    # a DualShock 4 through usb_f_hid
    python3 -m modeswitch.sandbox.gadgets stream SECONDS NAME...  # HID pads at 1000 Hz
    python3 -m modeswitch.sandbox.gadgets xpad NAME         # an Xbox 360 pad through FunctionFS
    python3 -m modeswitch.sandbox.gadgets send NAME HEX...  # reports, one a millisecond
    python3 -m modeswitch.sandbox.gadgets unbind NAME       # unplug (unbind from the UDC)
    python3 -m modeswitch.sandbox.gadgets hold NAME [--rumble]  # a game holding the pad open

The guest's host side binds them with its own drivers (usbhid + hid-generic, xpad), which
poll their interrupt-IN endpoints while an input node is open: `hold` is the game that keeps
one open. The Xbox 360 pad is served from user space (FunctionFS: descriptors on ep0, reports
written to ep1, the host's LED and rumble commands read from ep2 and logged). What to send
reaches a running `xpad` server through a FIFO; `send` to a HID gadget writes /dev/hidgN.
"""

from __future__ import annotations

import os
import struct
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CONFIGFS = Path("/sys/kernel/config/usb_gadget")
STATE = Path("/tmp/gadgets")
# A DualShock 4's report descriptor (054c:09cc) up to the end of its input report 1: sticks,
# hat, 14 buttons, counter, triggers and 54 vendor bytes, 64 bytes in all (the host's buffer
# is sized from this: a shorter descriptor makes every 64-byte report overflow, -EOVERFLOW).
DS4_DESCRIPTOR = bytes.fromhex(
    "05010905a101 8501 0930 0931 0932 0935 1500 26ff00 7508 9504 8102"
    " 0939 1500 2507 3500 463b01 6514 7504 9501 8142 6500"
    " 0509 1901 290e 1500 2501 7501 950e 8102"
    " 0600ff 0920 7506 9501 1500 257f 8102"
    " 0501 0933 0934 1500 26ff00 7508 9502 8102"
    " 0600ff 0921 9536 8102 c0".replace(" ", ""))
DS4 = (0x054C, 0x09CC)
XBOX360 = (0x045E, 0x028E)
FFS_DESCRIPTORS_V2, FFS_STRINGS = 3, 2
HAS_FS, HAS_HS = 1, 2
BIND, UNBIND, ENABLE, DISABLE, SETUP = range(5)
EVIOCSFF, FF_RUMBLE, EV_FF = 0x40304580, 0x50, 0x15
PERIOD = 0.001  # seconds between reports: a pad at 1000 Hz


@dataclass(frozen=True)
class Gadget:
    name: str
    vendor: int
    product: int
    product_name: str
    function: str  # configfs function directory: "hid.usb0", "ffs.NAME"
    device_class: tuple[int, int, int] = (0, 0, 0)
    settings: tuple[tuple[str, bytes], ...] = ()  # function attributes

    @property
    def root(self) -> Path:
        return CONFIGFS / self.name


def hid_gadget(name: str) -> Gadget:
    settings = (("protocol", b"0"), ("subclass", b"0"), ("report_length", b"64"),
                ("report_desc", DS4_DESCRIPTOR))
    return Gadget(name, *DS4, "Wireless Controller", "hid.usb0", settings=settings)


def xpad_gadget(name: str) -> Gadget:
    return Gadget(name, *XBOX360, "Controller", f"ffs.{name}", device_class=(0xFF, 0xFF, 0xFF))


def configfs_writes(gadget: Gadget) -> list[tuple[str, bytes]]:
    """(path under the gadget's directory, value) in the order configfs wants them; a path
    ending in / is a directory to make."""
    cls, sub, proto = gadget.device_class
    writes: list[tuple[str, bytes]] = [
        ("idVendor", f"{gadget.vendor:#06x}".encode()), ("idProduct", f"{gadget.product:#06x}".encode()),
        ("bcdUSB", b"0x0200"), ("bcdDevice", b"0x0114"), ("bDeviceClass", f"{cls:#04x}".encode()),
        ("bDeviceSubClass", f"{sub:#04x}".encode()), ("bDeviceProtocol", f"{proto:#04x}".encode()),
        ("strings/0x409/", b""), ("strings/0x409/manufacturer", b"modeswitch stand-in"),
        ("strings/0x409/product", gadget.product_name.encode()), ("strings/0x409/serialnumber", b"0001"),
        ("configs/c.1/", b""), ("configs/c.1/MaxPower", b"500"), (f"functions/{gadget.function}/", b""),
    ]
    writes += [(f"functions/{gadget.function}/{key}", value) for key, value in gadget.settings]
    return writes


def _interface(endpoints: int) -> bytes:
    return bytes([9, 4, 0, 0, endpoints, 0xFF, 0x5D, 0x01, 0])


def _endpoint(address: int, packet: int, interval: int) -> bytes:
    return struct.pack("<BBBBHB", 7, 5, address, 3, packet, interval)


def xpad_descriptors() -> bytes:
    """FunctionFS v2 descriptors of an Xbox 360 pad's interface 0: vendor class 0xff/0x5d/0x01,
    interrupt IN 0x81 and OUT 0x02 of 32 bytes. Full speed as the pad (4 and 8 ms); high speed
    (dummy_hcd's) at bInterval 4, 2^(4-1) microframes = 1 ms, the rate of a 1000 Hz pad."""
    fs = _interface(2) + _endpoint(0x81, 32, 4) + _endpoint(0x02, 32, 8)
    hs = _interface(2) + _endpoint(0x81, 32, 4) + _endpoint(0x02, 32, 4)
    body = struct.pack("<III", HAS_FS | HAS_HS, 3, 3) + fs + hs
    return struct.pack("<II", FFS_DESCRIPTORS_V2, 8 + len(body)) + body


def ffs_strings() -> bytes:
    return struct.pack("<IIII", FFS_STRINGS, 16, 0, 0)


def xpad_report(buttons: int = 0, lt: int = 0, rt: int = 0) -> bytes:
    """A 20-byte Xbox 360 input report; `buttons` = byte 2 | byte 3 << 8 (usbmon/reports.py)."""
    return bytes([0x00, 0x14, buttons & 0xFF, buttons >> 8 & 0xFF, lt, rt]) + bytes(14)


def ds4_report(buttons: int = 0, hat: int = 8, counter: int = 0) -> bytes:
    """A 64-byte DualShock 4 USB report 0x01; `buttons` = byte 5's high nibble | 6 << 4 | 7 << 12."""
    report = bytearray(64)
    report[0:5] = bytes([0x01, 0x80, 0x80, 0x80, 0x80])
    report[5] = hat | (buttons & 0x0F) << 4
    report[6] = buttons >> 4 & 0xFF
    report[7] = (buttons >> 12 & 0x03) | (counter << 2 & 0xFC)
    return bytes(report)


# --- inside the guest -------------------------------------------------------------------------

def _create(gadget: Gadget) -> None:
    gadget.root.mkdir(exist_ok=True)
    for path, value in configfs_writes(gadget):
        target = gadget.root / path
        if path.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.write_bytes(value)
    link = gadget.root / "configs" / "c.1" / gadget.function
    if not link.exists():
        link.symlink_to(gadget.root / "functions" / gadget.function)


def _bind(gadget: Gadget, udc: str | None = None) -> None:
    (gadget.root / "UDC").write_text(udc or sorted(os.listdir("/sys/class/udc"))[0])


def usb_device(vendor: int, product: int, udc: str | None = None) -> Path | None:
    """The host side's view of a gadget: its /sys/bus/usb/devices entry (behind this UDC's
    dummy_hcd when there are several: dummy_udc.N is wired to dummy_hcd.N)."""
    for device in sorted(Path("/sys/bus/usb/devices").iterdir()):
        if udc is not None and f"/dummy_hcd.{udc.rsplit('.', 1)[-1]}/" not in str(device.resolve()):
            continue
        try:
            ids = ((device / "idVendor").read_text().strip(), (device / "idProduct").read_text().strip())
        except OSError:
            continue
        if ids == (f"{vendor:04x}", f"{product:04x}"):
            return device
    return None


def run_hid(name: str, udc: str | None = None) -> None:
    gadget = hid_gadget(name)
    _create(gadget)
    _bind(gadget, udc)
    _wait_for_device(gadget, udc)


def _wait_for_device(gadget: Gadget, udc: str | None = None) -> None:
    deadline = time.monotonic() + 30
    while (device := usb_device(gadget.vendor, gadget.product, udc)) is None or not _has_event_node(device):
        if time.monotonic() > deadline:
            raise SystemExit(f"{gadget.name}: the guest's host side did not bind the gadget")
        time.sleep(0.05)
    print(f"{(device / 'busnum').read_text().strip()} {(device / 'devnum').read_text().strip()}", flush=True)


def _has_event_node(device: Path) -> bool:
    return any(device.glob("*/*/input/input*/event*")) or any(device.glob("*/input/input*/event*"))


def run_xpad(name: str) -> None:
    """Serve the pad until unbound: ep0 events, reports from the FIFO to ep1, ep2 logged."""
    gadget = xpad_gadget(name)
    _create(gadget)
    mount = Path(f"/dev/ffs-{name}")
    mount.mkdir(exist_ok=True)
    if not (mount / "ep0").exists():
        os.spawnvp(os.P_WAIT, "mount", ["mount", "-t", "functionfs", name, str(mount)])
    ep0 = os.open(mount / "ep0", os.O_RDWR)
    os.write(ep0, xpad_descriptors())
    os.write(ep0, ffs_strings())
    state = STATE / name
    state.mkdir(parents=True, exist_ok=True)
    fifo = state / "send"
    if not fifo.exists():
        os.mkfifo(fifo)
    threading.Thread(target=_control, args=(ep0, state), daemon=True).start()
    threading.Thread(target=_out_log, args=(mount / "ep2", state / "out"), daemon=True).start()
    threading.Thread(target=_reports, args=(mount / "ep1", fifo), daemon=True).start()
    _bind(gadget)
    _wait_for_device(gadget)
    while (gadget.root / "UDC").read_text().strip():
        time.sleep(0.2)


def _control(ep0: int, state: Path) -> None:
    """ep0 events; a vendor SETUP (xpad asks for 20 bytes at start) is answered with zeros."""
    with (state / "events").open("a") as log:
        while True:
            event = os.read(ep0, 12)
            kind = event[8]
            log.write(f"{kind}\n")
            log.flush()
            if kind == SETUP:
                request_type, _request, _value, _index, length = struct.unpack("<BBHHH", event[:8])
                if request_type & 0x80:
                    os.write(ep0, bytes(min(length, 20)))
                else:
                    os.read(ep0, length)


def _out_log(path: Path, log_path: Path) -> None:
    """The host's commands on the OUT endpoint (LED 0x01 0x03 N, rumble 0x00 0x08 ...)."""
    fd = os.open(path, os.O_RDONLY)
    with log_path.open("a") as log:
        while True:
            try:
                data = os.read(fd, 64)
            except OSError:
                time.sleep(0.05)
                continue
            log.write(data.hex() + "\n")
            log.flush()


def _reports(path: Path, fifo: Path) -> None:
    """Each line of the FIFO: hex reports separated by spaces, written one per PERIOD."""
    fd = os.open(path, os.O_WRONLY)
    while True:
        with fifo.open() as lines:
            for line in lines:
                _paced(fd, line.split())


def _paced(fd: int, reports: Sequence[str]) -> None:
    """At most one report per PERIOD, as a 1000 Hz pad: dummy_hcd polls an interrupt endpoint
    many times per millisecond, whatever its bInterval says."""
    due = time.monotonic()
    for report in reports:
        due += PERIOD
        try:
            os.write(fd, bytes.fromhex(report))  # blocks until the host's poll took it
        except OSError:
            time.sleep(0.05)
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)


def send(name: str, reports: Sequence[str]) -> None:
    fifo = STATE / name / "send"
    if fifo.exists():
        with fifo.open("w") as out:
            out.write(" ".join(reports) + "\n")
        return
    device = Path(f"/dev/hidg{_function_index(name)}")
    fd = os.open(device, os.O_WRONLY)
    try:
        _paced(fd, reports)
    finally:
        os.close(fd)


def _function_index(name: str) -> int:
    return int(Path(CONFIGFS / name / "functions" / "hid.usb0" / "dev").read_text().split(":")[1])


def unbind(name: str) -> None:
    (CONFIGFS / name / "UDC").write_text("\n")


def stream(seconds: float, names: Sequence[str]) -> None:
    """Each pad (HID gadget) sends a report every PERIOD for `seconds`, sticks moving, and a
    cross+options chord every 100 ms on the first: 1000 Hz pads for the benchmark."""
    fds = [os.open(f"/dev/hidg{_function_index(name)}", os.O_WRONLY) for name in names]
    due = start = time.monotonic()
    tick = 0
    while due - start < seconds:
        chord = tick % 100 == 99
        for n, fd in enumerate(fds):
            report = bytearray(ds4_report((1 << 1 | 1 << 9) if chord and n == 0 else 0, counter=tick))
            report[1] = report[2] = tick & 0xFF
            os.write(fd, report)
        tick += 1
        due += PERIOD
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    print(tick, flush=True)


def remove(name: str) -> None:
    """Take the gadget apart in the order configfs allows: unbind, unlink, then directories."""
    root = CONFIGFS / name
    if not root.exists():
        return
    if (root / "UDC").read_text().strip():
        unbind(name)
    config = root / "configs" / "c.1"
    for link in [p for p in config.iterdir() if p.is_symlink()] if config.exists() else []:
        link.unlink()
    for function in (root / "functions").iterdir():
        mount = Path(f"/dev/ffs-{function.name.removeprefix('ffs.')}")
        if function.name.startswith("ffs.") and (mount / "ep0").exists():
            os.spawnvp(os.P_WAIT, "umount", ["umount", str(mount)])
    functions = list((root / "functions").iterdir())
    for directory in [*config.glob("strings/*"), config, *functions, *root.glob("strings/*"), root]:
        if directory.exists():
            directory.rmdir()


def hold(name: str, rumble: bool) -> None:
    """A game: hold the pad's event nodes open (the drivers poll only then), play a rumble."""
    vendor = int((CONFIGFS / name / "idVendor").read_text(), 16)
    product = int((CONFIGFS / name / "idProduct").read_text(), 16)
    device = usb_device(vendor, product, (CONFIGFS / name / "UDC").read_text().strip() or None)
    if device is None:
        raise SystemExit(f"{name} is not on the bus")
    nodes = [Path("/dev/input") / p.name for p in device.rglob("event*") if p.name.startswith("event")]
    fds = [os.open(node, os.O_RDWR) for node in sorted(set(nodes))]
    if rumble:
        for fd in fds:
            _rumble(fd)
    print(" ".join(str(n) for n in sorted(set(nodes))), flush=True)
    while True:
        time.sleep(3600)


def _rumble(fd: int) -> None:
    import fcntl

    effect = bytearray(struct.pack("<HhHHHHH", FF_RUMBLE, -1, 0, 0, 0, 500, 0).ljust(48, b"\0"))
    struct.pack_into("<HH", effect, 16, 0xC000, 0x4000)  # strong, weak: after the 8-aligned union
    try:
        fcntl.ioctl(fd, EVIOCSFF, effect)
    except OSError:
        return  # not a force-feedback node
    effect_id = struct.unpack_from("<h", effect, 2)[0]
    os.write(fd, struct.pack("<qqHHi", 0, 0, EV_FF, effect_id, 1))


def main(argv: Sequence[str]) -> None:
    command, name, *rest = argv
    if command == "hid":
        run_hid(name, rest[0] if rest else None)
    elif command == "stream":
        stream(float(name), rest)
    elif command == "xpad":
        run_xpad(name)
    elif command == "send":
        send(name, rest)
    elif command == "unbind":
        unbind(name)
    elif command == "remove":
        remove(name)
    elif command == "hold":
        hold(name, "--rumble" in rest)
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
