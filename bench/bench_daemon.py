"""Daemon benchmarks: `modeswitch status` round trip, and what the daemon costs when idle.

    .venv/bin/python bench/bench_daemon.py [--runs 50] [--idle-seconds 60] [--full]

--full runs the daemon with every backend live: a running VM on an embedded libvirt root
(defined beforehand by virsh, which then exits: an embedded root admits one process), a private
PulseAudio with a playing stream, and the viewer stand-in, so the idle figures include the
libvirt event loop and the PulseAudio event thread.

Prints figures and ratios against baselines measured in the same run:
- status round trip (median of N) through the daemon, beside `virsh domstate` on libvirt's
  built-in test driver (a comparable "ask a daemon-backed tool one question" command) and
  beside a bare `python -c pass` start, which bounds what any Python CLI can reach;
- idle: CPU seconds, context switches (each is a wakeup) and RSS of the daemon over the idle
  window, beside a `sleep` process watched the same way. Targets: status <= 50 ms, no timer
  wakeups when idle, RSS <= 40 MB. Nothing here asserts: these are measurements, not tests.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODESWITCH = [str(Path(sys.executable).with_name("modeswitch"))]  # the command users run

MODES = {
    "desk.yaml": "looking_glass: {run: true, argv: [sleep, '100000']}\n",
    "tv.yaml": "looking_glass: false\n",
}


def median_ms(argv: list[str], runs: int, env: dict[str, str]) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def process_counters(pid: int) -> tuple[float, int, int]:
    """(cpu seconds, context switches over all threads, rss kB) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    switches = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                switches += int(line.split()[1])
    rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("VmRSS"))
    return cpu, switches, rss


def watch_idle(pid: int, seconds: float) -> tuple[float, int, int]:
    cpu0, sw0, _ = process_counters(pid)
    time.sleep(seconds)
    cpu1, sw1, rss = process_counters(pid)
    return cpu1 - cpu0, sw1 - sw0, rss


def full_setup(workdir: Path, stack: contextlib.ExitStack) -> tuple[dict[str, str], str]:
    """An embedded libvirt root with a defined VM and a private PulseAudio: modes and config."""
    from modeswitch.sandbox.embedded_vm import QEMU_CONF, domain_xml
    from modeswitch.sandbox.private_pulse import PrivatePulse

    root = workdir / "vmroot"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "qemu.conf").write_text(QEMU_CONF)
    xml = workdir / "domain.xml"
    xml.write_text(domain_xml("bench", shutil.which("qemu-system-x86_64") or "qemu-system-x86_64"))
    virsh = ["virsh", "-q", "-c", f"qemu:///embed?root={root}"]
    subprocess.run([*virsh, "define", str(xml)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # runs after the daemon has exited (callbacks are last in, first out): a VM outlives the
    # process that started it, as it should for users, so the bench stops its own
    stack.callback(subprocess.run, [*virsh, "destroy", "bench"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    pulse = stack.enter_context(PrivatePulse([("hdmi", "HDMI TV"), ("desk", "Desk speakers")]))
    pulse.play("desk")
    modes = {
        "desk.yaml": "vm: running\nusb: []\naudio: {sink: desk}\n"
                     "looking_glass: {run: true, argv: [sleep, '100000']}\n",
        "tv.yaml": "usb: [{kind: gamepad}]\naudio: {sink: hdmi}\nlooking_glass: false\n",
    }
    config = f'libvirt: {{uri: "qemu:///embed?root={root}", domain: bench}}\naudio: {{server: "{pulse.server}"}}\n'
    return modes, config


def start_daemon(
    workdir: Path, env: dict[str, str], modes_text: dict[str, str], config: str
) -> subprocess.Popen[bytes]:
    modes = workdir / "modes"
    modes.mkdir()
    for name, text in modes_text.items():
        (modes / name).write_text(text)
    (workdir / "config.yaml").write_text(config + "default_mode: desk\n")
    daemon = subprocess.Popen([*MODESWITCH, "--config", str(workdir / "config.yaml"), "daemon"], env=env,
                              stderr=subprocess.DEVNULL)
    socket = Path(env["XDG_RUNTIME_DIR"]) / "modeswitch" / "control.sock"
    deadline = time.monotonic() + 20
    while not socket.exists():
        if time.monotonic() > deadline or daemon.poll() is not None:
            raise SystemExit("the daemon did not start")
        time.sleep(0.05)
    return daemon


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--full", action="store_true", help="with a running VM and a private PulseAudio")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ms-bench-") as tmp, contextlib.ExitStack() as stack:
        workdir = Path(tmp)
        runtime = workdir / "run"
        runtime.mkdir(mode=0o700)
        env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "XDG_STATE_HOME": str(workdir / "state"),
               "PYTHONPATH": str(ROOT)}
        modes, config = full_setup(workdir, stack) if args.full else (MODES, "")
        daemon = start_daemon(workdir, env, modes, config)
        try:
            subprocess.run([*MODESWITCH, "--config", str(workdir / "config.yaml"), "desk"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            report_status(workdir, env, args.runs)
            report_idle(daemon.pid, args.idle_seconds)
        finally:
            daemon.terminate()
            daemon.wait(timeout=10)


def report_status(workdir: Path, env: dict[str, str], runs: int) -> None:
    status = median_ms([*MODESWITCH, "--config", str(workdir / "config.yaml"), "status", "--json"], runs, env)
    bare = median_ms([sys.executable, "-c", "pass"], runs, env)
    print(f"status round trip through the daemon: median {status:.1f} ms over {runs} runs (target <= 50 ms)")
    print(f"  bare python start:                  median {bare:.1f} ms (ratio {status / bare:.2f}x, "
          "target <= 1.3x)")
    if shutil.which("virsh"):
        virsh = median_ms(["virsh", "-c", "test:///default", "domstate", "test"], runs, env)
        print(f"  virsh domstate (test driver):       median {virsh:.1f} ms (ratio {status / virsh:.2f}x)")


def report_idle(pid: int, seconds: float) -> None:
    baseline = subprocess.Popen(["sleep", str(seconds + 5)])
    try:
        time.sleep(0.5)
        base_cpu0, base_sw0, _ = process_counters(baseline.pid)
        cpu, switches, rss = watch_idle(pid, seconds)
        base_cpu1, base_sw1, base_rss = process_counters(baseline.pid)
    finally:
        baseline.kill()
        baseline.wait()
    print(f"daemon idle {seconds:.0f} s: cpu {cpu:.3f} s, wakeups (context switches) {switches}, "
          f"rss {rss / 1024:.1f} MB (targets: 0 wakeups, <= 40 MB)")
    print(f"  sleep baseline: cpu {base_cpu1 - base_cpu0:.3f} s, wakeups {base_sw1 - base_sw0}, "
          f"rss {base_rss / 1024:.1f} MB; wakeups per minute {switches * 60 / seconds:.1f}")


if __name__ == "__main__":
    main()
