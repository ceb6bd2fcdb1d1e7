"""Looking Glass: the client, the IVSHMEM device and its backing memory (kvmfr or /dev/shm).

The size rule is Looking Glass's own: width × height × 4 bytes × 2 frames, plus 10 MiB, rounded
up to a power of two (32 MiB for 1080p, 64 for 1440p, 128 for 4K).

On KDE Plasma's Wayland session the client's `-F` (win:fullScreen) is ignored unless the
window's size and position are given as well (Looking Glass issues 1297 and 1050): the window
opens at its default 1024x768 in the middle of the screen. The fix is in the mode's argv.
"""

from __future__ import annotations

import re
from pathlib import Path

from modeswitch.doctor.domain import SharedMemory
from modeswitch.doctor.facts import Facts
from modeswitch.doctor.report import Finding, fail, ok, warn
from modeswitch.doctor.roots import may, read_text

MIB = 1024 * 1024
CLIENT = "looking-glass-client"
VERSION_RE = re.compile(r"\b(B\d+(?:\.\d+)?(?:-rc\d+)?(?:-\d+-g[0-9a-f]+)?)\b")  # B6, B7-rc1, B6-12-gdeadbee
SHMEM_XML = "<shmem name='looking-glass'><model type='ivshmem-plain'/><size unit='M'>{mib}</size></shmem>"


def required_mib(width: int, height: int) -> int:
    needed = width * height * 4 * 2 / MIB + 10
    size = 1
    while size < needed:
        size *= 2
    return size


def cgroup_device_acl(text: str) -> list[str] | None:
    """The cgroup_device_acl list of a qemu.conf; None when it is not set (libvirt's default
    list then applies, which has no /dev/kvmfr*)."""
    lines = [line.split("#", 1)[0] for line in text.splitlines()]
    match = re.search(r"^\s*cgroup_device_acl\s*=\s*\[(.*?)\]", "\n".join(lines), re.S | re.M)
    return re.findall(r"\"([^\"]*)\"", match.group(1)) if match else None


def qemu_conf(facts: Facts) -> Path | None:
    """Only qemu:///system QEMU runs in a device cgroup that this file opens."""
    uri = facts.libvirt.uri
    if uri.startswith("qemu:///system") or uri.startswith("qemu+") and uri.endswith("/system"):
        return facts.roots.etc / "libvirt" / "qemu.conf"
    return None


def checks(facts: Facts) -> list[Finding]:
    if not facts.viewer_wanted():
        return [ok("lg.client", "no mode runs Looking Glass: nothing to check")]
    findings = [_client(facts), *_kde_fullscreen(facts)]
    domain = facts.libvirt.domain
    if domain is None:
        return findings
    need = required_mib(*facts.resolution)
    regions = domain.shmem
    if not regions:
        return [*findings, fail("lg.shmem", f"domain '{domain.name}' has no IVSHMEM device for Looking Glass",
                                f"virsh edit: add {SHMEM_XML.format(mib=need)} under <devices>")]
    region = regions[0]
    findings.append(_size("lg.shmem", f"IVSHMEM '{region.name}'", region.size, need, facts))
    if region.kvmfr_path is not None:
        findings.extend(_kvmfr(facts, region, need))
    else:
        findings.append(_shm_file(facts, region))
    return findings


def _client(facts: Facts) -> Finding:
    if facts.viewer_path is None:
        return fail("lg.client", f"{CLIENT} is not on PATH ({facts.roots.path or 'empty'})",
                    "build and install the client of the same release as the host application in the guest "
                    "(looking-glass.io/docs, 'Building'), or set looking_glass.argv to its full path")
    output = facts.viewer_version.output if facts.viewer_version is not None else ""
    found = VERSION_RE.search(output)
    return ok("lg.client", f"{facts.viewer_path}: {'version ' + found.group(1) if found else 'version unknown'}")


def asks_fullscreen(argv: tuple[str, ...]) -> bool:
    return any(arg == "-F" or arg.lower() in ("win:fullscreen", "win:fullscreen=yes", "win:fullscreen=true",
                                              "win:fullscreen=1", "win:fullscreen=on") for arg in argv[1:])


def places_window(argv: tuple[str, ...]) -> bool:
    given = {arg.split("=", 1)[0].lower() for arg in argv[1:] if "=" in arg}
    return {"win:size", "win:position"} <= given


def _kde_fullscreen(facts: Facts) -> list[Finding]:
    """Only on KDE Wayland, only for modes that run the viewer fullscreen."""
    if facts.session != "kde":
        return []
    modes = {name: mode.viewer.argv for name, mode in sorted(facts.config.modes.items())
             if mode.viewer is not None and mode.viewer.run and asks_fullscreen(mode.viewer.argv)}
    lacking = [name for name, argv in modes.items() if not places_window(argv)]
    if not modes:
        return []
    if not lacking:
        return [ok("lg.kde-fullscreen", "KDE Wayland: the fullscreen viewer is given its size and position")]
    width, height = facts.resolution
    return [warn("lg.kde-fullscreen",
                 f"on KDE Wayland looking-glass-client ignores -F without a window size and position "
                 f"(Looking Glass issues 1297, 1050): mode {', '.join(lacking)}",
                 f"add win:size={width}x{height} win:position=0x0 to looking_glass.argv after -F (the desk "
                 "monitor's size and its place in the layout)")]


def _size(check: str, what: str, size: int | None, need: int, facts: Facts) -> Finding:
    width, height = facts.resolution
    res = f"{width}x{height} ({facts.resolution_source})"
    if size is None:
        return warn(check, f"{what} has no size", f"give it <size unit='M'>{need}</size>")
    if size < need * MIB:
        return fail(check, f"{what} is {size // MIB} MiB, {res} needs {need} MiB",
                    f"set its size to {need} MiB (in the domain XML and, for kvmfr, static_size_mb)")
    return ok(check, f"{what}: {size // MIB} MiB, enough for {res}")


def _kvmfr(facts: Facts, region: SharedMemory, need: int) -> list[Finding]:
    roots = facts.roots
    module = roots.sys / "module" / "kvmfr"
    loaded = module.is_dir() or any(line.split(" ", 1)[0] == "kvmfr"
                                    for line in (read_text(roots.proc / "modules") or "").splitlines())
    load_fix = (f"modprobe kvmfr static_size_mb={need}; to load it at boot: 'kvmfr' in /etc/modules-load.d/kvmfr.conf "
                f"and 'options kvmfr static_size_mb={need}' in /etc/modprobe.d/kvmfr.conf (dkms package from the "
                "Looking Glass source)")
    if not loaded:
        return [fail("lg.kvmfr", "the kvmfr module is not loaded", load_fix)]
    findings = [ok("lg.kvmfr", "kvmfr is loaded")]
    sizes = read_text(module / "parameters" / "static_size_mb")
    path = region.kvmfr_path or "/dev/kvmfr0"
    index = int(path.removeprefix("/dev/kvmfr") or 0) if path.removeprefix("/dev/kvmfr").isdigit() else 0
    if sizes:
        parts = sizes.split(",")
        size = int(parts[index]) if index < len(parts) and parts[index].isdigit() else 0
        findings.append(_size("lg.kvmfr-size", f"kvmfr static_size_mb for {path}", size * MIB, need, facts))
    findings.append(_kvmfr_device(facts, path))
    conf = qemu_conf(facts)
    if conf is not None:
        findings.append(_acl(conf, path))
    return findings


def _kvmfr_device(facts: Facts, path: str) -> Finding:
    device = facts.roots.under_dev(path)
    if not device.exists():
        return fail("lg.kvmfr-dev", f"{path} does not exist although kvmfr is loaded",
                    "load kvmfr with static_size_mb=N (one size per device)")
    if not may(device, facts.roots.uid, facts.roots.gids, read=True, write=True):
        return fail("lg.kvmfr-dev", f"{path} is not readable and writable by uid {facts.roots.uid}",
                    "sudo modeswitch udev-rules --install (uaccess for the seat's user, group kvm 0660 for QEMU)")
    return ok("lg.kvmfr-dev", f"{path} is readable and writable by uid {facts.roots.uid}")


def _acl(conf: Path, path: str) -> Finding:
    text = read_text(conf)
    fix = (f"add \"{path}\" to cgroup_device_acl in {conf} (keep the default entries: /dev/null, /dev/full, "
           "/dev/zero, /dev/random, /dev/urandom, /dev/ptmx, /dev/kvm), then restart libvirtd")
    if text is None:
        return warn("lg.cgroup-acl", f"cannot read {conf}", f"check it as root; {fix}")
    listed = cgroup_device_acl(text)
    if listed is None:
        return fail("lg.cgroup-acl", f"{conf} sets no cgroup_device_acl: QEMU may not open {path}", fix)
    if path not in listed:
        return fail("lg.cgroup-acl", f"cgroup_device_acl in {conf} does not list {path}", fix)
    return ok("lg.cgroup-acl", f"{path} is in cgroup_device_acl of {conf}")


def _shm_file(facts: Facts, region: SharedMemory) -> Finding:
    shm = facts.roots.dev / "shm" / (region.name or "looking-glass")
    user = facts.roots.uid
    fix = (f"create it for your user before the VM starts: 'f /dev/shm/{shm.name} 0660 {user} kvm -' in "
           f"/etc/tmpfiles.d/10-looking-glass.conf, then systemd-tmpfiles --create")
    if not shm.exists():
        return warn("lg.shm-file", f"/dev/shm/{shm.name} does not exist: QEMU creates it owned by its own user",
                    fix)
    if not may(shm, user, facts.roots.gids, read=True, write=True):
        info = shm.stat()
        return fail("lg.shm-file", f"/dev/shm/{shm.name} (uid {info.st_uid}, gid {info.st_gid}, mode "
                    f"{info.st_mode & 0o777:o}) is not readable and writable by uid {user}", fix)
    return ok("lg.shm-file", f"/dev/shm/{shm.name} is readable and writable by uid {user}")
