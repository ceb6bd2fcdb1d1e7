"""The test guest with Python, usbmon and the USB gadget framework: a real USB bus to read.

These machines have no USB bus, but inside the guest `dummy_hcd` wires a software device
controller to a software host controller: a gadget made through configfs is a real USB device
on the guest's own bus, bound by the guest's drivers (usbhid, xpad), and the guest's
`/dev/usbmonN` shows its URBs as the host's usbmon shows a passed pad's. To read them with the
project's own reader the guest also carries Debian's Python (the `python3-minimal` interpreter
with the parts of its standard library the reader and the gadgets import, and the libraries
`ldd` lists for them) and this checkout's `modeswitch` package, byte-compiled.

A variant of sandbox/guest_image.py's guest, built by the same steps and cached beside it
(`guest-py-<hash>`), keyed by the package versions, the recipe and the package's own files.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import modeswitch
from modeswitch.errors import BackendError
from modeswitch.sandbox import guest_image as base
from modeswitch.sandbox.progress import Progress

RECIPE_VERSION = 1
# After the base guest's modules, in dependency order. hid is loaded with
# ignore_special_drivers=1 so that hid-generic takes a pad whose ids name a special driver
# (a DualShock 4's belong to hid-sony, which a 6.1 gadget cannot satisfy: usb_f_hid answers
# every GET_REPORT with zeros, and the Sony drivers check the report id they asked for).
GADGET_MODULES = ("configfs", "udc-core", "libcomposite", "usb_f_hid", "usb_f_fs", "dummy_hcd",
                  "usbmon", "ff-memless", "xpad")
MODULES = (*base.MODULES, *GADGET_MODULES)
MODULE_ARGS = {"hid": "ignore_special_drivers=1"}
# What the reader, the gadgets and asyncio import beyond the interpreter's built-in modules.
DYNLOAD = ("_asyncio", "_ctypes", "mmap", "_json", "_contextvars", "_queue", "_typing", "resource",
           "_struct", "_opcode", "_heapq", "_bisect", "_random", "_socket", "select", "math",
           "_datetime", "_posixsubprocess", "fcntl", "array", "binascii", "_statistics")
# Parts of the standard library a headless reader never imports: left out to keep the image small.
STDLIB_OUT = ("test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "pydoc_data",
              "distutils", "sqlite3", "curses", "dbm", "config-", "venv", "unittest", "xmlrpc",
              "wsgiref", "msilib", "lib-dynload", "site-packages", "dist-packages")

INIT = """#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for pass in 1 2 3; do
  for m in @MODULES@; do
    args=""
    @ARGS@
    [ -e /sys/module/$(echo $m | tr - _) ] || insmod /lib/modules/$m.ko $args 2>/dev/null
  done
done
mount -t configfs none /sys/kernel/config
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


def python_packages(show: str) -> dict[str, str]:
    """From `apt-cache show python3-minimal python3.X-minimal libpython3.X-minimal
    libpython3.X-stdlib`: package → version (the interpreter, its minimal and full stdlib)."""
    found: dict[str, str] = {}
    for paragraph in show.strip().split("\n\n"):
        name = re.search(r"^Package: (\S+)", paragraph, re.M)
        version = re.search(r"^Version: (\S+)", paragraph, re.M)
        if name and version and name.group(1) != "python3-minimal":
            found[name.group(1)] = version.group(1)
    return found


def python_version(show: str) -> str:
    """python3-minimal pre-depends on the interpreter it stands for: `python3.11-minimal`."""
    match = re.search(r"^Pre-Depends:.*?\bpython(3\.\d+)-minimal\b", show, re.M)
    if match is None:
        raise BackendError("cannot tell which Python python3-minimal stands for", "run apt-get update")
    return match.group(1)


def package_files(package: Path) -> dict[str, str]:
    """The project's own modules by relative path → content hash (what is copied in)."""
    return {str(p.relative_to(package)): hashlib.sha256(p.read_bytes()).hexdigest()[:16]
            for p in sorted(package.rglob("*.py"))}


def inputs() -> dict[str, object]:
    spec = base.inputs()
    version = python_version(base._run(["apt-cache", "show", "--no-all-versions", "python3-minimal"]))
    names = [f"python{version}-minimal", f"libpython{version}-minimal", f"libpython{version}-stdlib"]
    python = python_packages(base._run(["apt-cache", "show", "--no-all-versions", *names]))
    if sorted(python) != sorted(names):
        raise BackendError(f"apt does not know {', '.join(sorted(set(names) - set(python)))}", "run apt-get update")
    packages = spec["packages"]
    assert isinstance(packages, dict)
    return {**spec, "variant": "python", "variant_recipe": RECIPE_VERSION, "init": INIT,
            "modules": list(MODULES), "module_args": MODULE_ARGS, "python": version,
            "dynload": list(DYNLOAD), "packages": {**packages, **python},
            "package": package_files(Path(modeswitch.__file__).parent)}


def ensure_python_guest(root: Path | None = None, progress: Progress | None = None) -> base.GuestImage:
    """The cached variant for the current inputs, built first when missing (one line on
    `progress` then)."""
    return base.cached_image(root or base.cache_root(), "guest-py", inputs(), _build, "the Python guest image",
                             progress)


def _build(spec: dict[str, object], work: Path) -> None:
    packages, version = spec["packages"], str(spec["python"])
    assert isinstance(packages, dict)
    debs, tree, initramfs = work / "debs", work / "tree", work / "initramfs"
    for d in (debs, tree, initramfs):
        d.mkdir()
    base._run(["apt-get", "-q", "-o", "APT::Sandbox::User=root", "download",
               *(f"{name}={v}" for name, v in packages.items())], cwd=debs)
    for deb in sorted(debs.glob("*.deb")):
        base._run(["dpkg-deb", "-x", str(deb), str(tree)])
    kernels = sorted((tree / "boot").glob("vmlinuz-*"))
    if not kernels:
        raise BackendError("the kernel package has no /boot/vmlinuz-*")
    shutil.copy2(kernels[0], work / "vmlinuz")
    _fill_base(tree, initramfs)
    _add_python(tree, initramfs, version)
    base._pack(initramfs, work / "initrd.gz")
    for d in (debs, tree, initramfs):
        shutil.rmtree(d)


def _fill_base(tree: Path, out: Path) -> None:
    """What the base guest has (busybox, the agent, its libraries), with this module list."""
    base._fill_initramfs(tree, out)
    builtin = base._builtin(tree)
    for name in GADGET_MODULES:
        if name.replace("-", "_") not in builtin:
            (out / "lib" / "modules" / f"{name}.ko").write_bytes(base._module_bytes(base._module(tree, name)))
    args = " ".join(f'[ "$m" = "{m}" ] && args="{a}";' for m, a in MODULE_ARGS.items())
    init = (INIT.replace("@MODULES@", " ".join(MODULES)).replace("@CHANNEL@", base.AGENT_CHANNEL)
            .replace("@ARGS@", args))
    (out / "init").write_text(init)


def _add_python(tree: Path, out: Path, version: str) -> None:
    binary = base._one_of(tree, f"usr/bin/python{version}")
    (out / "usr" / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy2(binary, out / "usr" / "bin" / f"python{version}")
    os.symlink(f"python{version}", out / "usr" / "bin" / "python3")
    stdlib, dest = tree / "usr" / "lib" / f"python{version}", out / "usr" / "lib" / f"python{version}"
    shutil.copytree(stdlib, dest, symlinks=True, ignore=lambda d, names: [
        n for n in names if n == "__pycache__" or (Path(d) == stdlib and n.startswith(STDLIB_OUT))])
    dynload = dest / "lib-dynload"
    dynload.mkdir()
    libraries = set(base.shared_libraries(binary))
    for module in (stdlib / "lib-dynload").glob("*.so"):
        if module.name.split(".", 1)[0] in DYNLOAD:
            shutil.copy2(module, dynload / module.name)
            libraries |= set(_libraries(module))
    for lib in sorted(libraries):
        target = out / lib.relative_to("/")
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(lib.resolve(), target)
    package = out / "usr" / "lib" / "python3" / "dist-packages" / "modeswitch"
    shutil.copytree(Path(modeswitch.__file__).parent, package,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _compile(out / "usr" / "bin" / f"python{version}", out, [dest, package.parent])


def _libraries(module: Path) -> list[Path]:
    """A Python extension may need no library beyond what the interpreter loaded already:
    `ldd` then lists none, which is fine here (unlike for a program)."""
    try:
        return base.shared_libraries(module)
    except BackendError:
        return []


def _compile(python: Path, out: Path, directories: list[Path]) -> None:
    """Byte-compile with the guest's own interpreter, run here against the tree it will find
    at /usr in the guest: importing asyncio from source costs seconds under a software CPU.
    Unchecked hashes: the files' times in the archive do not matter then."""
    env = {"PYTHONHOME": str(out / "usr"), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "LD_LIBRARY_PATH": ":".join(str(out / d) for d in ("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu"))}
    for directory in directories:
        done = subprocess.run([str(python), "-m", "compileall", "-q", "-j", "1", "--invalidation-mode",
                               "unchecked-hash", "-s", str(out), "-p", "/", str(directory)],
                              capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            last = (done.stdout + done.stderr).strip().splitlines() or ["no output"]
            raise BackendError(f"byte-compiling {directory.name} for the guest failed: {last[-1]}")
