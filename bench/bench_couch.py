"""The whole way from the couch, on the real guest: a pad's chord → the pads gone from the
guest's USB bus and the viewer up (TV → desk), or enumerated by the guest's kernel (desk → TV),
against bare libvirt plus the guest's own enumeration time, measured in the same run.

    .venv/bin/python bench/bench_couch.py [--runs 10]

The seat: the real test guest (sandbox/guest_python.py's image: Debian's kernel with xHCI and
usbhid, qemu-guest-agent and Python) on a private session libvirtd (libvirtd as the
libvirt-qemu user in a temp home, bench_libvirt.SessionDaemon, as bench_switch.py runs it),
not on the embedded driver: the daemon must run preloaded with umockdev to read the emulated
host pad, and an embedded driver in that process would hand the preload to the QEMU it forks
(see bench_hotplug.py). With a libvirtd of its own forking QEMU, one daemon process holds the
whole path in both directions. The guest boots cold (a saved state is the embedded driver's).
Two stand-in pads (emulated USB keyboards with an Xbox 360 pad's ids, sandbox/stand_in_usb.py)
are what moves; the daemon is the real one (bench/couch_daemon.py: Daemon with its gamepad
triggers, usbmon reader, VM backend and viewer supervisor, built from the config as
`modeswitch daemon` builds them), toggling desk ↔ tv on select+start.

Replaced edges, each fed data shaped like the real device's:
- TV → desk: this machine has no USB bus, so /dev/usbmon1 is a FIFO the daemon's UsbmonPads
  opens (its usbmon root), carrying mon_bin records (usbmon/monbin.pack_record) for bus 1 and
  the device numbers the VM observation reports for the stand-ins: an Xbox 360 pad's interrupt-IN
  reports for Back, then Back+Start. Timed from the write of that last report until both the
  guest's kernel has removed both pads and the viewer stand-in (the process desk mode starts in
  place of looking-glass-client) has run its first line.
- desk → TV: the host pad is umockdev-emulated (tests/fixtures/input/xpad-360.json; the Testbed
  lives in this process, the daemon opens the node through the preload and reads it with
  python-evdev): Start, then Select. Timed from the write of Select until the guest's kernel
  has enumerated both pads (their usb_device uevents; their input nodes are printed beside).
The floor, in the same run before the daemon starts (it would follow the pads the floor
moves): libvirt attachDeviceFlags / detachDeviceFlags of the same two stand-ins, one after the
other on one connection as a script would, timed the same way from the first call until the
guest's kernel has both / has neither; when the calls returned is printed beside. The first
cycle of the floor and of the daemon warms up and is not counted.

What the guest sees: a watcher started in the guest through the agent reads the kernel's
uevents (NETLINK_KOBJECT_UEVENT) and writes each USB device and input node add/remove, stamped
with the guest's CLOCK_REALTIME, to the serial console, a file libvirt writes on the host that
the bench tails (nothing polls inside the guest). Clocks: before each sample the guest's clock
is read 5 times with guest-get-time and the reading with the shortest round trip gives the
offset (uncertainty half that round trip, printed); host times are CLOCK_REALTIME in every
process. As a check that needs no offset, each figure is also given on the host clock alone,
up to when the bench read the console line (an upper bound, by the serial write and the 2 ms
tail). Prints medians and p90 over N runs and ratios to the floor; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import libvirt
import libvirt_qemu
from bench_libvirt import SessionDaemon

from modeswitch import ipc
from modeswitch.errors import ModeswitchError
from modeswitch.parts.guest.backend import LibvirtGuestAgent
from modeswitch.paths import Paths
from modeswitch.sandbox.embedded_vm import domain_xml, stand_in_pads
from modeswitch.sandbox.guest_image import GuestImage
from modeswitch.sandbox.guest_python import ensure_python_guest
from modeswitch.sandbox.progress import Progress
from modeswitch.sandbox.stand_in_usb import StandInXml, write_usb_tree
from modeswitch.usbmon.monbin import pack_record

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from umockdev_devices import Plugged, Rig  # noqa: E402

DOMAIN = "couch"
PADS = stand_in_pads(2)
HOST_PAD = ("xpad-360", 3)  # fixture and event node number of the emulated host pad
BACK, START = 0x20, 0x10  # an Xbox 360 pad's report, byte 2
GUARD = 60.0  # seconds: a hang guard, not a timing assertion
SYNC_ROUNDS = 5
PRELOAD = "libumockdev-preload.so.0"
VIEWER = "import sys, time; open(sys.argv[1] + '.tmp', 'w').write(str(time.time_ns())); " \
         "__import__('os').replace(sys.argv[1] + '.tmp', sys.argv[1]); time.sleep(1e6)"
# In the guest: every USB device and input node the kernel adds or removes, with the time it
# was read, to the serial console (the host tails the file libvirt writes it to).
WATCHER = r"""
import os, socket, time
s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 15)
s.bind((0, 1))
out = os.open("/dev/ttyS0", os.O_WRONLY | os.O_NOCTTY)
os.write(out, b"\ncouch %d ready - -\n" % time.time_ns())
while True:
    data = s.recv(65536)
    now = time.time_ns()
    env = dict(f.split(b"=", 1) for f in data.split(b"\0")[1:] if b"=" in f)
    action = env.get(b"ACTION", b"")
    if action not in (b"add", b"remove"):
        continue
    if env.get(b"SUBSYSTEM") == b"usb" and env.get(b"DEVTYPE") == b"usb_device":
        kind, name = b"usb", env.get(b"DEVPATH", b"")
    elif env.get(b"SUBSYSTEM") == b"input" and env.get(b"DEVNAME", b"").startswith(b"input/event"):
        kind, name = b"input", env[b"DEVNAME"]
    else:
        continue
    os.write(out, b"couch %d %s %s %s\n" % (now, action, kind, name))
"""


@dataclass(frozen=True)
class Seen:
    ns: int  # guest CLOCK_REALTIME
    action: str
    kind: str
    name: str


class Console:
    """The guest's serial console as libvirt writes it: the watcher's lines, from a mark on."""

    def __init__(self, path: Path) -> None:
        self.path, self.pos = path, 0

    def mark(self) -> None:
        self.pos = self.path.stat().st_size if self.path.exists() else 0

    def seen(self) -> list[Seen]:
        with self.path.open("rb") as handle:
            handle.seek(self.pos)
            text = handle.read().decode(errors="replace")
        found = []
        for line in text.splitlines():
            words = line.strip().split()
            if len(words) == 5 and words[0] == "couch" and words[1].isdigit():
                found.append(Seen(int(words[1]), words[2], words[3], words[4]))
        return found

    async def wait(self, done: Callable[[list[Seen]], bool], what: str) -> tuple[list[Seen], int]:
        """The lines once `done` holds for them, and when the host read them (host clock: an
        upper bound on the guest's time that needs no clock offset)."""
        deadline = time.monotonic() + GUARD
        while True:
            seen = self.seen()
            if done(seen):
                return seen, time.time_ns()
            if time.monotonic() > deadline:
                raise SystemExit(f"the guest never showed {what}; its console:\n"
                                 f"{self.path.read_text(errors='replace')[-2000:]}")
            await asyncio.sleep(0.002)


def count(action: str, kind: str, number: int = len(PADS)) -> Callable[[list[Seen]], bool]:
    return lambda seen: sum(1 for s in seen if (s.action, s.kind) == (action, kind)) >= number


def last(seen: list[Seen], action: str, kind: str) -> int:
    return max(s.ns for s in seen if (s.action, s.kind) == (action, kind))


class Guest:
    """The real test guest on the private libvirtd, with the uevent watcher running."""

    def __init__(self, session: SessionDaemon, image: GuestImage) -> None:
        self.session, self.image = session, image
        self.console = Console(session.home / "console.log")
        self.conn: libvirt.virConnect | None = None
        self.dom: libvirt.virDomain | None = None

    async def __aenter__(self) -> Guest:
        home = self.session.home
        # QEMU runs as libvirt-qemu: it reads its own copies of the kernel and initramfs
        kernel, initrd = home / "vmlinuz", home / "initrd.gz"
        for source, copy in ((self.image.kernel, kernel), (self.image.initrd, initrd)):
            shutil.copyfile(source, copy)
            os.chown(copy, *self.session.ids)
        xml = domain_xml(DOMAIN, shutil.which("qemu-system-x86_64") or "qemu-system-x86_64",
                         guest=GuestImage(kernel, initrd, self.image.cmdline), console=self.console.path,
                         agent_socket=home / "agent.sock")
        self.conn = libvirt.open(self.session.uri)
        self.dom = self.conn.defineXML(xml)
        began = time.monotonic()
        self.dom.create()
        agent = LibvirtGuestAgent(self.session.uri, DOMAIN)
        await agent.connect()
        try:
            await agent.wait_ready(180)
            booted = time.monotonic() - began
            await agent.start(["python3", "-c", WATCHER], 30)
        finally:
            await agent.close()
        await self.console.wait(lambda seen: any(s.action == "ready" for s in seen), "the watcher ready")
        print(f"guest booted cold in {booted:.1f} s; its uevent watcher is up", flush=True)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self.dom is not None:
            if self.dom.isActive():
                self.dom.destroy()
            self.dom.undefine()
        if self.conn is not None:
            self.conn.close()

    def offset(self) -> tuple[int, int]:
        """(guest clock - host clock, round trip) from the quickest of a few guest-get-time."""
        assert self.dom is not None
        best: tuple[int, int] | None = None
        for _ in range(SYNC_ROUNDS):
            before = time.time_ns()
            reply = libvirt_qemu.qemuAgentCommand(self.dom, '{"execute": "guest-get-time"}', 10, 0)
            after = time.time_ns()
            guest = int(json.loads(reply)["return"])
            if best is None or after - before < best[1]:
                best = (guest - (before + after) // 2, after - before)
        assert best is not None
        return best


@dataclass
class Figures:
    samples: dict[str, list[float]]
    rtts: list[float]

    def add(self, key: str, ms: float) -> None:
        self.samples.setdefault(key, []).append(ms)


def ms(guest_ns: int, offset: int, host_ns: int) -> float:
    return (guest_ns - offset - host_ns) / 1e6


async def floor(guest: Guest, runs: int, figures: Figures) -> None:
    """Bare libvirt: attach both stand-ins, until the guest enumerated them; detach both,
    until the guest removed them. The first cycle warms up and is not counted."""
    assert guest.dom is not None
    dom = guest.dom
    xmls = [StandInXml().usb_xml(p.vendor, p.product, p.bus, p.device) for p in PADS]
    for run in range(runs + 1):
        for action, call in (("add", dom.attachDeviceFlags), ("remove", dom.detachDeviceFlags)):
            offset, rtt = guest.offset()
            guest.console.mark()
            began = time.time_ns()
            for xml in xmls:
                await asyncio.to_thread(call, xml, libvirt.VIR_DOMAIN_AFFECT_LIVE)
            returned = time.time_ns()
            seen, read = await guest.console.wait(count(action, "usb") if action == "remove" else
                                            lambda s: count("add", "usb")(s) and count("add", "input")(s),
                                            f"both pads {action}ed")
            if run == 0:
                continue
            figures.rtts.append(rtt / 1e6)
            name = "floor attach" if action == "add" else "floor detach"
            figures.add(f"{name}: libvirt returned", (returned - began) / 1e6)
            if action == "add":
                figures.add("floor attach: enumerated", ms(last(seen, "add", "usb"), offset, began))
                figures.add("floor attach: input nodes", ms(last(seen, "add", "input"), offset, began))
            else:
                figures.add("floor detach: removed", ms(last(seen, "remove", "usb"), offset, began))
            figures.add(f"{name}: host read it", (read - began) / 1e6)


def write_config(work: Path, uri: str, marker: Path) -> Path:
    modes = work / "modes"
    modes.mkdir()
    viewer = json.dumps([sys.executable, "-S", "-c", VIEWER, str(marker)])
    (modes / "tv.yaml").write_text("vm: running\nusb: [{name: stand-in pads, kind: gamepad}]\nlooking_glass: false\n")
    (modes / "desk.yaml").write_text(f"vm: running\nusb: []\nlooking_glass: {{run: true, argv: {viewer}}}\n")
    config = work / "config.yaml"
    config.write_text(f'libvirt: {{uri: "{uri}", domain: {DOMAIN}}}\ndefault_mode: desk\ntoggle: [desk, tv]\n'
                      "looking_glass: {grace: 1}\n"
                      "triggers:\n  combos:\n    - {buttons: [select, start], action: toggle}\n")
    return config


class CouchDaemon:
    """The real daemon as a preloaded child (bench/couch_daemon.py), and its control socket."""

    def __init__(self, work: Path, uri: str, rig: Rig) -> None:
        self.work, self.marker = work, work / "viewer.started"
        self.paths = Paths(runtime=work / "run", state=work / "state")
        self.usbmon = work / "dev"
        self.usbmon.mkdir()
        self.fifo = self.usbmon / "usbmon1"
        os.mkfifo(self.fifo)
        config = write_config(work, uri, self.marker)
        sysfs = write_usb_tree(work / "sysfs", PADS)
        env = dict(os.environ, LD_PRELOAD=PRELOAD, UMOCKDEV_DIR=rig.testbed.get_root_dir(),
                   PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
                   LIBVIRT_LOG_OUTPUTS="4:stderr")
        self.log = work / "daemon.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(HERE / "couch_daemon.py"), str(config), str(sysfs), str(self.usbmon),
                 str(self.paths.runtime), str(self.paths.state)], env=env, stdout=log, stderr=subprocess.STDOUT)

    def fail(self, why: str) -> SystemExit:
        return SystemExit(f"{why}; the daemon's log:\n{self.log.read_text(errors='replace')[-3000:]}")

    async def ready(self) -> None:
        deadline = time.monotonic() + GUARD
        while True:
            try:
                if ipc.call(self.paths.socket, "ping", timeout=5).get("result", {}).get("ready"):
                    return
            except (OSError, ModeswitchError):  # not up yet
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise self.fail("the bench daemon did not start")
            await asyncio.sleep(0.05)

    async def idle_in(self, mode: str) -> dict[str, object]:
        deadline = time.monotonic() + GUARD
        while True:
            status = ipc.call(self.paths.socket, "status", timeout=30).get("result", {})
            if status.get("mode") == mode and status.get("phase") == "idle":
                return dict(status)
            if time.monotonic() > deadline:
                raise self.fail(f"the daemon never settled in {mode}: {status.get('mode')} {status.get('phase')}")
            await asyncio.sleep(0.05)

    async def usbmon_writer(self) -> int:
        """The FIFO's write end, once the daemon's reader has it open (pads in the VM)."""
        deadline = time.monotonic() + GUARD
        while True:
            try:
                return os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO or time.monotonic() > deadline:
                    raise self.fail(f"the daemon does not read {self.fifo}") from None
            await asyncio.sleep(0.01)

    async def viewer_started(self) -> int:
        deadline = time.monotonic() + GUARD
        while not self.marker.exists():
            if time.monotonic() > deadline:
                raise self.fail("the viewer stand-in never started")
            await asyncio.sleep(0.002)
        return int(self.marker.read_text())

    def last_duration(self) -> float:
        """The newest transition's own duration, as its history record gives it."""
        return float(json.loads(self.paths.history.read_text().splitlines()[-1])["duration_ms"])

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def x360(buttons: int) -> bytes:
    """An Xbox 360 pad's 20-byte interrupt-IN report: sticks centred, `buttons` in byte 2."""
    return bytes([0x00, 0x14, buttons, 0x00]) + bytes(16)


async def desk_to_tv(guest: Guest, daemon: CouchDaemon, rig: Rig, pad: Plugged, figures: Figures | None) -> None:
    from evdev import ecodes as e

    await daemon.idle_in("desk")
    offset, rtt = guest.offset()
    guest.console.mark()
    rig.send(pad, [(e.EV_KEY, e.BTN_START, 1)])
    await asyncio.sleep(0.05)
    began = time.time_ns()
    rig.send(pad, [(e.EV_KEY, e.BTN_SELECT, 1)])  # the chord's last report
    await asyncio.sleep(0.1)
    rig.send(pad, [(e.EV_KEY, e.BTN_SELECT, 0), (e.EV_KEY, e.BTN_START, 0)])
    seen, read = await guest.console.wait(lambda s: count("add", "usb")(s) and count("add", "input")(s),
                                          "both pads enumerated")
    await daemon.idle_in("tv")
    if figures is not None:
        figures.rtts.append(rtt / 1e6)
        figures.add("desk → tv: enumerated", ms(last(seen, "add", "usb"), offset, began))
        figures.add("desk → tv: input nodes", ms(last(seen, "add", "input"), offset, began))
        figures.add("desk → tv: host read it", (read - began) / 1e6)
        figures.add("desk → tv: engine", daemon.last_duration())


async def tv_to_desk(guest: Guest, daemon: CouchDaemon, figures: Figures | None) -> None:
    writer = await daemon.usbmon_writer()
    try:
        daemon.marker.unlink(missing_ok=True)
        offset, rtt = guest.offset()
        guest.console.mark()
        device = PADS[0].device
        os.write(writer, pack_record(busnum=1, devnum=device, event="S", length=32)
                 + pack_record(busnum=1, devnum=device, data=x360(BACK))
                 + pack_record(busnum=1, devnum=0, event="@"))  # a filler, as usbmon interleaves them
        await asyncio.sleep(0.05)
        began = time.time_ns()
        os.write(writer, pack_record(busnum=1, devnum=device, data=x360(BACK | START)))  # the chord's last report
        seen, read = await guest.console.wait(count("remove", "usb"), "both pads removed")
        viewer = await daemon.viewer_started()
        await daemon.idle_in("desk")
    finally:
        os.close(writer)  # the pipe goes with its last end: the next TV mode reads a fresh one
    if figures is not None:
        removed = ms(last(seen, "remove", "usb"), offset, began)
        up = (viewer - began) / 1e6
        figures.rtts.append(rtt / 1e6)
        figures.add("tv → desk: whole way", max(removed, up))
        figures.add("tv → desk: removed", removed)
        figures.add("tv → desk: viewer up", up)
        figures.add("tv → desk: host read it", (max(read, viewer) - began) / 1e6)
        figures.add("tv → desk: engine", daemon.last_duration())


async def couch(guest: Guest, work: Path, uri: str, runs: int, figures: Figures) -> None:
    rig = Rig(work)  # the Testbed here; the daemon child opens its nodes through the preload
    pad = rig.plug(*HOST_PAD)
    daemon = CouchDaemon(work, uri, rig)
    try:
        await daemon.ready()
        ipc.call(daemon.paths.socket, "switch", mode="desk", source="bench")
        for run in range(runs + 1):  # the first round warms up and is not counted
            await desk_to_tv(guest, daemon, rig, pad, figures if run else None)
            await tv_to_desk(guest, daemon, figures if run else None)
    finally:
        daemon.stop()


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


ROWS = (
    ("floor attach: libvirt returned", "floor: both attachDeviceFlags returned"),
    ("floor attach: enumerated", "floor: guest enumerated both (usb_device add)"),
    ("floor attach: input nodes", "floor: guest made both input nodes"),
    ("floor attach: host read it", "floor: host read the last of those lines"),
    ("desk → tv: engine", "desk → tv: the daemon's transition (its record)"),
    ("desk → tv: enumerated", "desk → tv: chord → guest enumerated both"),
    ("desk → tv: input nodes", "desk → tv: chord → both input nodes"),
    ("desk → tv: host read it", "desk → tv: chord → host read those lines"),
    ("floor detach: libvirt returned", "floor: both detachDeviceFlags returned"),
    ("floor detach: removed", "floor: guest removed both (usb_device remove)"),
    ("floor detach: host read it", "floor: host read the last of those lines"),
    ("tv → desk: engine", "tv → desk: the daemon's transition (its record)"),
    ("tv → desk: removed", "tv → desk: chord → guest removed both"),
    ("tv → desk: viewer up", "tv → desk: chord → viewer stand-in running"),
    ("tv → desk: whole way", "tv → desk: chord → both of those"),
    ("tv → desk: host read it", "tv → desk: chord → host read both"),
)


def report(runs: int, figures: Figures) -> None:
    s = figures.samples
    print(f"\nmilliseconds over {runs} runs, 2 stand-in pads; guest clock offset to "
          f"±{statistics.median(figures.rtts) / 2:.1f} ms (half the median guest-get-time round trip)")
    print(f"  {'':<50} {'median':>8} {'p90':>8}")
    for key, label in ROWS:
        print(f"  {label:<50} {statistics.median(s[key]):8.1f} {p90(s[key]):8.1f}")
    med = {key: statistics.median(values) for key, values in s.items()}
    for name, whole, base in (("desk → tv: host pad's chord → guest enumerated both pads", "desk → tv: enumerated",
                               "floor attach: enumerated"),
                              ("tv → desk: usbmon chord → pads gone from the guest and viewer up",
                               "tv → desk: whole way", "floor detach: removed")):
        ratio, host = med[whole] / med[base], med[whole.split(":")[0] + ": host read it"]
        host_ratio = host / med[base.split(":")[0] + ": host read it"]
        print(f"{name}: {med[whole]:.1f} ms against a floor of {med[base]:.1f} ms: {ratio:.2f}x "
              f"(host clock only: {host_ratio:.2f}x)")


async def main(runs: int) -> None:
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)  # the daemon wait retries quietly
    image = await asyncio.to_thread(ensure_python_guest, None, Progress())
    figures = Figures({}, [])
    with tempfile.TemporaryDirectory(prefix="msw-couch-") as tmp, SessionDaemon() as session:
        async with Guest(session, image) as guest:
            await floor(guest, runs, figures)
            await couch(guest, Path(tmp), session.uri, runs, figures)
    report(runs, figures)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    asyncio.run(main(parser.parse_args().runs))
