"""A tiny real Linux guest for the embedded VM, built from Debian packages only.

A VM that boots nothing can only tell what libvirt believes it holds. This guest is a Debian
kernel plus an initramfs with a static busybox, the modules for xHCI, USB HID, evdev and
virtio-serial, and qemu-guest-agent: enough for tests and the demo to ask a real kernel which
USB devices and input nodes it sees, and to run programs in it through the agent.

Everything comes from the package registry (`apt-get download` + `dpkg-deb -x`); the agent's
shared libraries are the ones `ldd` lists, taken from this machine (QEMU depends on the same
Debian packages). The result is cached under `$XDG_CACHE_HOME/modeswitch/guest-<hash>`, where
the hash covers the package versions apt would fetch and this module's recipe, so a new kernel
upload or a changed /init builds a new guest and an unchanged one is reused.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import lzma
import os
import re
import shutil
import stat
import struct
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from modeswitch.errors import BackendError
from modeswitch.sandbox.progress import Progress, silent

RECIPE_VERSION = 3
KERNEL_META = "linux-image-amd64"  # the -cloud- flavour has no USB at all
STATIC_PACKAGES = ("busybox-static", "qemu-guest-agent", "util-linux")  # util-linux: setpriv, for user sessions
AGENT_CHANNEL = "org.qemu.guest_agent.0"
# Insmod order matters (dependencies); /init still loops a few passes to be forgiving.
MODULES = ("usb-common", "usbcore", "xhci-hcd", "xhci-pci", "hid", "usbhid", "hid-generic", "evdev",
           "virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci",
           "virtio_console")
CMDLINE = "console=ttyS0 panic=-1 quiet loglevel=3"
# A person logged in at the guest's console, for `session: user` actions: an account, and the
# utmp record login(1) would write, which the agent's guest-get-users reports.
SESSION_USER = ("player", 1000, "/home/player")
SETPRIV = "bin/setpriv"  # util-linux's; `busybox --install -s` keeps a file it finds in place
OS_RELEASE = ('ID=modeswitch-guest\nNAME="modeswitch test guest"\n'
              'PRETTY_NAME="modeswitch test guest (Debian kernel, busybox)"\n')

INIT = """#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for pass in 1 2 3; do
  for m in @MODULES@; do
    [ -e /sys/module/$(echo $m | tr - _) ] || insmod /lib/modules/$m.ko 2>/dev/null
  done
done
mkdir -p /var/run /tmp /run
port=""
while [ -z "$port" ]; do
  for f in /sys/class/virtio-ports/vport*/name; do
    [ "$(cat $f 2>/dev/null)" = "@CHANNEL@" ] && port=$(basename $(dirname $f))
  done
  [ -n "$port" ] || sleep 0.1
done
echo "modeswitch guest: agent on /dev/$port"
while true; do
  qemu-ga -m virtio-serial -p /dev/$port -f /tmp/qga.pid -t /tmp
  sleep 1
done
"""


@dataclass(frozen=True)
class GuestImage:
    """What a domain needs to boot the guest: `<kernel>`, `<initrd>`, `<cmdline>`."""

    kernel: Path
    initrd: Path
    cmdline: str = CMDLINE


def cache_root(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "modeswitch"


def _run(argv: list[str], cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackendError(f"{argv[0]} is not installed", "run scripts/bootstrap") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise BackendError(f"{' '.join(argv[:3])} failed: {last}", "is the Debian package index reachable?")
    return done.stdout


def resolve_packages(show: str) -> dict[str, str]:
    """Package → version apt would download now, from one `apt-cache show` of the kernel meta
    package and the others (the cache key follows new uploads). The meta package pins its
    kernel with `Depends: linux-image-6.1.0-NN-amd64 (= VERSION)`."""
    found: dict[str, str] = {}
    for paragraph in show.strip().split("\n\n"):
        name = re.search(r"^Package: (\S+)", paragraph, re.M)
        version = re.search(r"^Version: (\S+)", paragraph, re.M)
        if name is None or version is None:
            continue
        if name.group(1) == KERNEL_META:
            kernel = re.search(r"^Depends: (linux-image-[^\s,(]+) \(= ([^)\s]+)\)", paragraph, re.M)
            if kernel is None:
                raise BackendError(f"cannot tell which kernel {KERNEL_META} depends on", "run apt-get update")
            found[kernel.group(1)] = kernel.group(2)
        else:
            found[name.group(1)] = version.group(1)
    missing = [p for p in STATIC_PACKAGES if p not in found]
    if missing or len(found) != len(STATIC_PACKAGES) + 1:
        raise BackendError(f"apt does not know {', '.join(missing) or KERNEL_META}", "run apt-get update")
    return found


def inputs() -> dict[str, object]:
    """Everything the built guest depends on; its hash names the cache entry."""
    show = _run(["apt-cache", "show", "--no-all-versions", KERNEL_META, *STATIC_PACKAGES])
    return {"recipe": RECIPE_VERSION, "init": INIT, "modules": list(MODULES), "cmdline": CMDLINE,
            "packages": resolve_packages(show), "session": [list(SESSION_USER), OS_RELEASE, SETPRIV, "tmp 1777"]}


def inputs_hash(spec: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One build at a time per cache dir: parallel test runs wait for the first build."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ensure_guest(root: Path | None = None, progress: Progress | None = None) -> GuestImage:
    """The cached guest for the current inputs, building it first when it is missing (one
    line on `progress` then: it takes a while, once)."""
    return cached_image(root or cache_root(), "guest", inputs(), _build, "the guest image", progress)


def cached_image(root: Path, prefix: str, spec: dict[str, object], build: Callable[[dict[str, object], Path], None],
                 what: str, progress: Progress | None = None) -> GuestImage:
    """The image named by the hash of `spec` under `root`, built by `build` into a work dir
    and moved in whole when it is missing, one build at a time (parallel runs wait for it)."""
    target = root / f"{prefix}-{inputs_hash(spec)}"
    image = GuestImage(target / "vmlinuz", target / "initrd.gz")
    with _locked(root / "guest.lock"):
        if not image.initrd.exists():
            work = Path(tempfile.mkdtemp(prefix=f".build-{prefix}-", dir=root))
            try:
                with (progress or silent()).step(f"building {what} from Debian packages in {target}"):
                    build(spec, work)
                (work / "inputs.json").write_text(json.dumps(spec, indent=1, sort_keys=True))
                shutil.rmtree(target, ignore_errors=True)
                work.rename(target)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    return image


def _build(spec: dict[str, object], work: Path) -> None:
    packages = spec["packages"]
    assert isinstance(packages, dict)
    debs, tree, initramfs = work / "debs", work / "tree", work / "initramfs"
    for d in (debs, tree, initramfs):
        d.mkdir()
    # Root downloads into a private dir that the _apt user cannot enter: let apt know.
    _run(["apt-get", "-q", "-o", "APT::Sandbox::User=root", "download",
          *(f"{name}={version}" for name, version in packages.items())], cwd=debs)
    for deb in sorted(debs.glob("*.deb")):
        _run(["dpkg-deb", "-x", str(deb), str(tree)])
    kernels = sorted((tree / "boot").glob("vmlinuz-*"))
    if not kernels:
        raise BackendError("the kernel package has no /boot/vmlinuz-*")
    shutil.copy2(kernels[0], work / "vmlinuz")
    _fill_initramfs(tree, initramfs)
    _pack(initramfs, work / "initrd.gz")
    shutil.rmtree(debs)
    shutil.rmtree(tree)
    shutil.rmtree(initramfs)


def _fill_initramfs(tree: Path, out: Path) -> None:
    for d in ("bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "tmp", "lib/modules"):
        (out / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2(_one_of(tree, "bin/busybox", "usr/bin/busybox"), out / "bin" / "busybox")
    agent = _one_of(tree, "usr/sbin/qemu-ga", "usr/bin/qemu-ga")
    shutil.copy2(agent, out / "usr" / "sbin" / "qemu-ga")
    for lib in shared_libraries(agent):
        dest = out / lib.relative_to("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(lib.resolve(), dest)
    builtin = _builtin(tree)
    for name in MODULES:
        if name.replace("-", "_") not in builtin:  # another kernel may have some built in
            (out / "lib" / "modules" / f"{name}.ko").write_bytes(_module_bytes(_module(tree, name)))
    _session_files(tree, out)
    init = INIT.replace("@MODULES@", " ".join(MODULES)).replace("@CHANNEL@", AGENT_CHANNEL)
    (out / "init").write_text(init)
    (out / "init").chmod(0o755)


def _session_files(tree: Path, out: Path) -> None:
    """util-linux's setpriv (busybox's cannot change uids), the user's account and home, and
    their login record."""
    setpriv = _one_of(tree, "usr/bin/setpriv", "bin/setpriv")
    shutil.copy2(setpriv, out / SETPRIV)
    for lib in shared_libraries(setpriv):
        dest = out / lib.relative_to("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(lib.resolve(), dest)
    name, uid, home = SESSION_USER
    for d in ("etc", home.lstrip("/"), "var/run"):
        (out / d).mkdir(parents=True, exist_ok=True)
    (out / "tmp").chmod(0o1777)  # as on any system: the user's programs may write there too
    (out / "etc" / "passwd").write_text(f"root:x:0:0:root:/root:/bin/sh\n{name}:x:{uid}:{uid}::{home}:/bin/sh\n")
    (out / "etc" / "group").write_text(f"root:x:0:\n{name}:x:{uid}:\n")
    (out / "etc" / "os-release").write_text(OS_RELEASE)
    (out / "var" / "run" / "utmp").write_bytes(utmp_record(name, "tty1", 1, 0))


def utmp_record(user: str, line: str, pid: int, when: int) -> bytes:
    """One glibc x86-64 `struct utmp` (384 bytes) of type USER_PROCESS."""
    user_process = 7
    return struct.pack("<h2xi32s4s32s256shhiii4i20x", user_process, pid, line.encode(), line[-4:].encode(),
                       user.encode(), b"", 0, 0, 0, when, 0, 0, 0, 0, 0)


def _one_of(tree: Path, *candidates: str) -> Path:
    """Debian 12 ships some files under /bin, Debian 13 (merged /usr) under /usr/bin."""
    for candidate in candidates:
        if (tree / candidate).exists():
            return tree / candidate
    raise BackendError(f"the packages have none of {', '.join(candidates)}")


def _module(tree: Path, name: str) -> Path:
    """Module file names use - or _ inconsistently; modprobe treats them alike, so do we.
    Debian 12 ships them as .ko, Debian 13 as .ko.xz."""
    wanted = name.replace("-", "_")
    for modules in (tree / "lib" / "modules", tree / "usr" / "lib" / "modules"):
        for path in modules.rglob("*.ko*") if modules.is_dir() else ():
            if path.name.split(".ko", 1)[0].replace("-", "_") == wanted:
                return path
    raise BackendError(f"the kernel package has no module {name}.ko")


def _builtin(tree: Path) -> set[str]:
    """Names of the modules the kernel has built in (its modules.builtin list)."""
    names = set()
    for listing in [*tree.glob("lib/modules/*/modules.builtin"), *tree.glob("usr/lib/modules/*/modules.builtin")]:
        for line in listing.read_text().splitlines():
            names.add(line.rsplit("/", 1)[-1].split(".ko", 1)[0].replace("-", "_"))
    return names


def _module_bytes(path: Path) -> bytes:
    """busybox's insmod takes a plain .ko: unpack the compressed ones."""
    data = path.read_bytes()
    if path.name.endswith(".ko.xz"):
        return lzma.decompress(data)
    if path.name.endswith(".ko.gz"):
        return gzip.decompress(data)
    if not path.name.endswith(".ko"):
        raise BackendError(f"cannot unpack the kernel module {path.name}", "expected .ko, .ko.xz or .ko.gz")
    return data


def shared_libraries(binary: Path) -> list[Path]:
    """Absolute library paths `ldd` resolves for the binary, the loader included."""
    found = []
    for line in _run(["ldd", str(binary)]).splitlines():
        match = re.search(r"(/\S+)", line.split("=>")[-1])
        if match:
            found.append(Path(match.group(1)))
    if not found:
        raise BackendError(f"ldd lists no libraries for {binary}")
    return found


def _pack(directory: Path, out: Path) -> None:
    """cpio newc, gzip: the format the kernel unpacks as its initramfs. Written here rather
    than by cpio(1), which a minimal root (the Debian 13 test root) does not have."""
    with gzip.open(out, "wb", compresslevel=6) as packed:
        for number, path in enumerate(sorted(directory.rglob("*")), start=1):
            name = str(path.relative_to(directory))
            info = path.lstat()
            data = os.readlink(path).encode() if path.is_symlink() else (
                path.read_bytes() if path.is_file() else b"")
            packed.write(newc_entry(name, info.st_mode, number, int(info.st_mtime), data))
        packed.write(newc_entry("TRAILER!!!", 0, 0, 0, b"", links=1))


def newc_entry(name: str, mode: int, inode: int, mtime: int, data: bytes, links: int | None = None) -> bytes:
    """One member of a "new ASCII" (070701) cpio archive, owned by root, padded to 4 bytes."""
    fields = [inode, mode, 0, 0, links if links is not None else (2 if stat.S_ISDIR(mode) else 1), mtime,
              len(data), 0, 0, 0, 0, len(name) + 1, 0]
    header = b"070701" + b"".join(f"{value:08X}".encode() for value in fields)
    entry = header + name.encode() + b"\0"
    entry += b"\0" * (-len(entry) % 4)
    return entry + data + b"\0" * (-len(data) % 4)
