"""`modeswitch demo`: the whole job on an embedded default, with nothing installed or touched.

A real disk-less VM on `qemu:///embed` booting a tiny Debian-built Linux guest (emulated USB
keyboards stand in for two Xbox 360 pads, and after each switch the guest's own kernel is
asked, through its agent, which USB devices it sees), a private PulseAudio with an "HDMI TV"
and a "Desk speakers" sink and a playing stream, and a stand-in process for
looking-glass-client. It validates generated mode files like a user's, runs desk → tv → desk
through the same coordinator the daemon uses, prints each plan, each step's duration and the
status after each switch, and removes everything it made.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import tempfile
from pathlib import Path

from modeswitch.cli.render import print_outcome, print_plan
from modeswitch.config.loader import load_config
from modeswitch.core.coordinator import Coordinator
from modeswitch.core.outcome import Outcome
from modeswitch.core.seat import Seat
from modeswitch.daemon.compose import build_seat
from modeswitch.errors import BackendError, ModeswitchError
from modeswitch.model import SeatState
from modeswitch.parts.audio.backend import PulseAudioBackend
from modeswitch.parts.guest.backend import GuestActions, LibvirtGuestAgent
from modeswitch.parts.monitor.backend import DdcBackend
from modeswitch.parts.monitor.device import DdcMonitorLink
from modeswitch.parts.tv.backend import CecBackend
from modeswitch.parts.viewer.backend import ViewerSupervisor
from modeswitch.paths import Paths
from modeswitch.sandbox.cec_tv import StandInTv
from modeswitch.sandbox.ddc_monitor import StandInMonitor, edid_block
from modeswitch.sandbox.embedded_vm import EmbeddedVm
from modeswitch.sandbox.guest_image import ensure_guest
from modeswitch.sandbox.guest_view import complete, settled_guest_usb
from modeswitch.sandbox.private_pulse import PrivatePulse
from modeswitch.sandbox.progress import Progress

HDMI_SINK = ("alsa_output.pci-0000_03_00.1.hdmi-stereo", "HDMI TV")
DESK_SINK = ("alsa_output.usb-Generic_USB_Audio-00.analog-stereo", "Desk speakers")
# A stand-in for looking-glass-client, which is not packaged here; its argv says what it is.
VIEWER = [sys.executable, "-c", "import time; time.sleep(1e6)", "looking-glass-client stand-in"]
GUEST_BOOT = 120.0  # seconds for the guest's agent to answer under TCG on a busy machine


def demo_files(directory: Path, domain: str, uri: str, pulse_server: str) -> Path:
    """Write a config and two modes, the same kind of files a user keeps in ~/.config."""
    modes = directory / "modes"
    modes.mkdir()
    viewer = "[" + ", ".join(f'"{part}"' for part in VIEWER) + "]"
    (modes / "desk.yaml").write_text(f"""\
vm: running
usb: []                      # the pads go back to the host
audio: {{description: "Desk*"}}
looking_glass: {{run: true, argv: {viewer}}}
tv: {{power: standby}}         # HDMI-CEC: the TV goes to standby when the desk takes over
monitor: {{input: hdmi1, model: DELL U2415}}   # DDC/CI: the desk monitor shows this PC again
guest:                       # run inside the VM through its agent (Windows: DisplaySwitch, ...)
  - {{argv: [sh, -c, "echo virtual > /tmp/picture; echo picture on the virtual display"], timeout: 60}}
""")
    (modes / "tv.yaml").write_text("""\
vm: running
usb: [{name: stand-in pads, kind: gamepad}]
audio: {description: "HDMI TV", volume: 0.8}
looking_glass: false
tv: {power: on, input: active}   # HDMI-CEC: wake the TV, switch it to this PC's HDMI port
monitor: {input: dp1, model: DELL U2415}     # DDC/CI: the desk monitor shows the VM's GPU
guest:                           # inside the VM, undone if the switch rolls back
  - {argv: [sh, -c, "echo tv > /tmp/picture; echo picture on the TV"], undo: [rm, -f, /tmp/picture],
     timeout: 60}
  - {argv: [sh, -c, 'echo "audio to the TV, in the session of $(id -un)"'], session: user}
  - {keys: [KEY_LEFTCTRL, KEY_LEFTALT, KEY_F11], hold: 0.05}   # a hotkey app's shortcut
hooks:
  after: [{argv: [true], timeout: 5}]
""")
    config = directory / "config.yaml"
    config.write_text(f"""\
libvirt: {{uri: "{uri}", domain: {domain}}}
audio: {{server: "{pulse_server}"}}
default_mode: desk
""")
    return config


def _stand_in_monitor() -> DdcBackend:
    monitor = StandInMonitor(edid_block("DEL", 0xA0B4, 1112557388, "DELL U2415", "7MT0167B2YNL"), input=0x11)
    return DdcBackend("DELL U2415", bus="/dev/i2c-4", opener=lambda path: DdcMonitorLink(monitor.open(path)))


def run_demo() -> int:
    return asyncio.run(_demo())


async def _demo() -> int:
    with tempfile.TemporaryDirectory(prefix="modeswitch-demo-") as tmp:
        workdir = Path(tmp)
        paths = Paths(runtime=workdir / "run", state=workdir / "state")
        paths.ensure_runtime()
        print("starting a private PulseAudio (sinks: HDMI TV, Desk speakers) with one playing stream; "
              "a stand-in CEC bus with a TV in standby; a stand-in DDC/CI monitor showing hdmi1")
        with PrivatePulse([HDMI_SINK, DESK_SINK]) as pulse:
            pulse.play(DESK_SINK[0], name="demo music")
            progress = Progress()
            guest = await asyncio.get_running_loop().run_in_executor(None, functools.partial(
                ensure_guest, progress=progress))
            print(f"a tiny Linux guest built from Debian packages: kernel {guest.kernel}, initramfs {guest.initrd}")
            print("defining an embedded disk-less VM (qemu:///embed, TCG) that runs it; 2 emulated USB "
                  "keyboards stand in for Xbox 360 pads")
            async with EmbeddedVm("modeswitch-demo", pads=2, start=False, parent=workdir, guest=guest,
                                  progress=progress) as vm:
                if vm.warm is not None:
                    print(f"  its first start resumes the saved booted guest ({vm.warm.state.path})")
                config = load_config(demo_files(workdir, vm.domain, vm.uri, pulse.server), required=True)
                print(f"config ok: modes {', '.join(sorted(config.modes))}")
                agent = vm.agent()
                backend = vm.backend()
                await backend.connect()
                await agent.connect()
                stand_ins = {  # the parts the sandbox stands in for; everything else as the daemon builds it
                    "vm": backend, "usb": vm.inventory(), "audio": PulseAudioBackend(pulse.server),
                    "viewer": ViewerSupervisor(tuple(VIEWER), paths.viewer_pidfile, config.viewer_grace),
                    "tv": CecBackend("/dev/cec0", opener=StandInTv().open), "monitor": _stand_in_monitor(),
                    "guest": GuestActions(agent),
                }
                seat = await build_seat(config, paths, resident=True, given=stand_ins)
                try:
                    return await _cycle(seat, vm, agent)
                finally:
                    await seat.backends.close()  # the guest actions' close() closes the agent


async def _cycle(seat: Seat, vm: EmbeddedVm, agent: LibvirtGuestAgent) -> int:
    coordinator = Coordinator(seat)
    _print_state(coordinator, await coordinator.sync_from_world())
    failures = 0
    for number, target in enumerate(("desk", "tv", "desk")):
        print(f"\n=== switching to {target} ===")
        print_plan((await coordinator.plan(target)).as_dict())
        outcome = await (_first_switch(coordinator, vm, agent, target) if number == 0
                         else coordinator.request(target, "demo"))
        print_outcome(outcome)
        for step in (seat.history.tail(1) or [{}])[-1].get("steps", []):
            if step.get("output"):  # a guest action's output, as the history record keeps it
                print(f"  guest said: {step['output'].strip()}")
        failures += not outcome.ok
        state = await coordinator.observe()
        _print_state(coordinator, state)
        await _print_guest(agent, len(state.vm.usb) if state.vm else 0)
    print("\nhistory:", len(seat.history.tail(10)), "transitions recorded;", "cleaning up")
    return 0 if failures == 0 else 2


async def _first_switch(coordinator: Coordinator, vm: EmbeddedVm, agent: LibvirtGuestAgent, target: str) -> Outcome:
    """The first switch starts the VM, from the saved guest: a state QEMU refused is one line,
    a cold boot and a new state, then the switch again. A restored guest is then settled (its
    agent synced, its clock set), which a boot does not need."""
    outcome = await coordinator.request(target, "demo")
    warm = vm.warm
    if warm is None:
        return outcome
    if not outcome.ok and warm.refused_on_start():
        await warm.refused(vm, BackendError(outcome.error or "the VM did not start"))
        outcome = await coordinator.request(target, "demo")
    if outcome.ok and not warm.refused_on_start() and not warm.restored:
        await warm.settle(vm, agent)
        if warm.restored:
            print("  the VM resumed the saved booted guest: its agent answered guest-sync, its clock is set")
    return outcome


async def _print_guest(agent: LibvirtGuestAgent, attached: int) -> None:
    """What the guest's kernel itself lists on its USB bus: the pads arriving for real
    (given the moment it needs to enumerate the `attached` devices libvirt reports)."""
    try:
        await agent.wait_ready(GUEST_BOOT)
        devices = await settled_guest_usb(agent, complete(attached))
    except ModeswitchError as exc:
        print(f"  guest   cannot ask the guest: {exc}")
        return
    print(f"  guest   sees {len(devices)} USB device(s){':' if devices else ''}")
    for device in devices:
        print(f"            {device}")


def _print_state(coordinator: Coordinator, state: SeatState) -> None:
    vm = state.vm
    pads = ", ".join(f"{u.vendor:04x}:{u.product:04x}@{u.bus}.{u.device}" for u in vm.usb) if vm else ""
    machine = coordinator.status()
    print(f"--- status: mode {machine['mode'] or '-'} ({machine['phase']}) ---")
    print(f"  vm      {vm.domain if vm else '-'}: {vm.state if vm else 'unknown'}; USB in VM: {pads or 'none'}")
    if state.audio is not None:
        streams = ", ".join(f"{s.name} -> {s.sink}" for s in state.audio.streams)
        print(f"  audio   default {state.audio.default_sink}; streams: {streams or 'none'}")
    if state.viewer is not None:
        print(f"  viewer  {'running pid ' + str(state.viewer.pid) if state.viewer.running else 'stopped'}")
    if state.tv is not None:
        source = state.tv.active_source
        showing = ".".join(f"{(source >> s) & 0xF:x}" for s in (12, 8, 4, 0)) if source is not None else "nobody"
        print(f"  tv      {state.tv.power or 'did not answer'}; showing {showing} (this PC: 1.0.0.0, via CEC)")
    if state.monitor is not None:
        print(f"  monitor {state.monitor.name}: input 0x{state.monitor.input or 0:02x} (via DDC/CI)")
