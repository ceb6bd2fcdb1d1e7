"""A switch the way a user makes it: `modeswitch tv` / `modeswitch desk` through the running
daemon, timed from CLI process start to exit, beside a shell script doing the same by hand.

    .venv/bin/python bench/bench_switch.py [--runs 15] [--pads 1 2 3]

The seat: a VM on a private session libvirtd (libvirtd as the libvirt-qemu user, like a
user's own qemu:///session) with N stand-in pads (emulated USB keyboards; their host side is
a stand-in sysfs tree), a real PulseAudio with an HDMI and a desk sink and 3 playing streams,
and the viewer stand-in. Per pad count it prints medians of:
- cli: the whole `modeswitch tv|desk` command (Python start-up, socket round trip, switch);
- engine: the switch itself, from the transition record;
- script: `virsh attach-device`/`detach-device`, `pactl set-default-sink`/`move-sink-input`
  and killing/starting the viewer, as a user's script would (the baseline);
- floor: the slowest single libvirt operation the switch needs, measured directly with
  libvirt-python: one live attach, and one live detach until libvirt reports it gone.
Ratios and the targets they are read against close each line; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import libvirt
from bench_libvirt import DOMAIN, SessionDaemon, stand_in_files

from modeswitch.parts.usb.sysfs import SysfsUsbInventory
from modeswitch.sandbox.embedded_vm import stand_in_pads
from modeswitch.sandbox.private_pulse import PrivatePulse
from modeswitch.sandbox.stand_in_usb import write_usb_tree

HERE = Path(__file__).resolve().parent
MODESWITCH = str(Path(sys.executable).with_name("modeswitch"))
HDMI, DESK = ("bench-hdmi", "HDMI TV"), ("bench-desk", "Desk speakers")
STREAMS = 3
SCRIPT = """
uri=$1 dom=$2 server=$3 sink=$4 action=$5 pidfile=$6; shift 6
for f in "$@"; do virsh -q -c "$uri" "$action-device" "$dom" "$f" --live >/dev/null || exit 1; done
pactl --server="$server" set-default-sink "$sink"
for i in $(pactl --server="$server" list short sink-inputs | cut -f1); do
  pactl --server="$server" move-sink-input "$i" "$sink"
done
if [ "$action" = attach ]; then kill "$(cat "$pidfile")"; else sleep 100000 & echo $! > "$pidfile"; fi
"""


def write_config(root: Path, uri: str, server: str) -> Path:
    modes = root / "modes"
    modes.mkdir()
    (modes / "tv.yaml").write_text(f"vm: running\nusb: [{{kind: gamepad}}]\naudio: {{sink: {HDMI[0]}}}\n"
                                   "looking_glass: false\n")
    (modes / "desk.yaml").write_text(f"vm: running\nusb: []\naudio: {{sink: {DESK[0]}}}\n"
                                     "looking_glass: {run: true, argv: [sleep, '100000']}\n")
    config = root / "config.yaml"
    config.write_text(f'libvirt: {{uri: "{uri}", domain: {DOMAIN}}}\naudio: {{server: "{server}"}}\n'
                      "default_mode: desk\nlooking_glass: {grace: 1}\n")
    return config


def cli_ms(config: Path, mode: str, env: dict[str, str]) -> tuple[float, float]:
    began = time.perf_counter()
    done = subprocess.run([MODESWITCH, "--config", str(config), mode, "--json"], env=env, capture_output=True,
                          text=True, check=False)
    took = (time.perf_counter() - began) * 1000
    outcome = json.loads(done.stdout)
    if not outcome.get("ok"):
        raise SystemExit(f"modeswitch {mode} failed: {outcome.get('error')}")
    return took, float(outcome["duration_ms"])


def script_ms(argv: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(["sh", "-c", SCRIPT, "sh", *argv], check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - began) * 1000


def floor_ms(uri: str, xml: str, runs: int) -> tuple[float, float]:
    """One live attach, and one live detach until libvirt says the device is gone
    (detachDeviceFlags waits for QEMU's DEVICE_DELETED)."""
    conn = libvirt.open(uri)
    dom = conn.lookupByName(DOMAIN)
    attach, detach = [], []
    for _ in range(runs):
        began = time.perf_counter()
        dom.attachDeviceFlags(xml, libvirt.VIR_DOMAIN_AFFECT_LIVE)
        attach.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        dom.detachDeviceFlags(xml, libvirt.VIR_DOMAIN_AFFECT_LIVE)
        detach.append((time.perf_counter() - began) * 1000)
    conn.close()
    return statistics.median(attach), statistics.median(detach)


def run_daemon(root: Path, config: Path, sysfs: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    runtime = Path(env["XDG_RUNTIME_DIR"]) / "modeswitch"
    daemon = subprocess.Popen([sys.executable, str(HERE / "switch_daemon.py"), str(config), str(sysfs),
                               str(runtime), str(root / "state")], env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while subprocess.run([MODESWITCH, "--config", str(config), "status"], env=env, capture_output=True,
                         check=False).returncode != 0 or not (runtime / "control.sock").exists():
        if time.monotonic() > deadline or daemon.poll() is not None:
            raise SystemExit("the bench daemon did not start")
        time.sleep(0.1)
    return daemon


def measure(pads: int, runs: int, session: SessionDaemon, pulse: PrivatePulse, work: Path) -> None:
    root = work / f"pads-{pads}"
    (root / "run").mkdir(parents=True)
    sysfs = write_usb_tree(root / "sysfs", stand_in_pads(pads))
    config = write_config(root, session.uri, pulse.server)
    env = {"PATH": "/usr/bin:/bin:/usr/sbin", "XDG_RUNTIME_DIR": str(root / "run"),
           "XDG_STATE_HOME": str(root / "state"), "HOME": str(root)}
    daemon = run_daemon(root, config, sysfs, env)
    samples: dict[str, list[float]] = {key: [] for key in ("cli tv", "engine tv", "cli desk", "engine desk")}
    try:
        cli_ms(config, "desk", env)  # warm-up: the VM runs, the viewer is up
        for _ in range(runs):
            for mode in ("tv", "desk"):
                cli, engine = cli_ms(config, mode, env)
                samples[f"cli {mode}"].append(cli)
                samples[f"engine {mode}"].append(engine)
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)
    files = stand_in_files(root, SysfsUsbInventory(sysfs))
    pidfile = root / "viewer.pid"
    subprocess.run(["sh", "-c", f"sleep 100000 & echo $! > {pidfile}"], check=True)
    script = {"tv": [], "desk": []}  # type: dict[str, list[float]]
    for _ in range(runs):
        for mode, action, sink in (("tv", "attach", HDMI[0]), ("desk", "detach", DESK[0])):
            files_args = [str(f) for f in files]
            script[mode].append(script_ms([session.uri, DOMAIN, pulse.server, sink, action, str(pidfile), *files_args]))
    subprocess.run(["sh", "-c", f"kill $(cat {pidfile})"], check=False)
    attach, detach = floor_ms(session.uri, files[0].read_text(), runs)
    report(pads, samples, script, max(attach, detach), attach, detach)


def report(pads: int, samples: dict[str, list[float]], script: dict[str, list[float]], floor: float,
           attach: float, detach: float) -> None:
    m = {key: statistics.median(values) for key, values in samples.items()}
    for mode in ("tv", "desk"):
        base = statistics.median(script[mode])
        engine, cli = m[f"engine {mode}"], m[f"cli {mode}"]
        print(f"{pads:>4}  {mode:<5} {cli:>8.1f} {engine:>8.1f} {base:>8.1f} {floor:>7.1f}   "
              f"script/cli {base / cli:>4.1f}x   engine/floor {engine / floor:>4.2f}x")
    print(f"      floor: attach {attach:.1f} ms, detach until gone {detach:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--pads", type=int, nargs="+", default=[1, 2, 3])
    options = parser.parse_args()
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)
    print(f"median of {options.runs} runs, milliseconds; {STREAMS} playing streams; targets: "
          "script/cli >= 3x with 1 pad, engine/floor <= 1.25x with 2 pads, engine <= 50 ms where the floor allows")
    print("pads  mode       cli   engine   script   floor")
    with tempfile.TemporaryDirectory(prefix="msw-bs-") as tmp, SessionDaemon() as session, \
            PrivatePulse([DESK, HDMI]) as pulse:
        for _ in range(STREAMS):
            pulse.play(DESK[0])
        conn = libvirt.open(session.uri)
        conn.lookupByName(DOMAIN).create()
        conn.close()
        for pads in options.pads:
            measure(pads, options.runs, session, pulse, Path(tmp))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
