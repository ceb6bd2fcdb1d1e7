"""QEMU's capabilities as libvirt probed them, kept between runs of the embedded driver.

Each fresh `qemu:///embed` root makes libvirt start QEMU to probe what it can do before the
first domain is defined: ~1 s on an idle machine, 7 s on a busy 2-core one, more than restoring
the saved guest takes. libvirt keeps the answer in `<root>/cache/qemu/capabilities/` and checks
it itself on use (against the QEMU binary, libvirt's own build and the host), so copying the
files of an earlier root in is safe: a stale one is probed again. The kept copy is per libvirt
version and QEMU binary, because a Debian 13 root shares this cache with the host.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path

ROOT_DIR = Path("cache") / "qemu" / "capabilities"


def kept_dir(cache: Path, libvirt_version: int, emulator: str) -> Path:
    info = os.stat(emulator)
    key = hashlib.sha256(f"{emulator}:{info.st_size}:{info.st_mtime_ns}".encode()).hexdigest()[:12]
    return cache / f"qemu-capabilities-{libvirt_version}-{key}"


def seed(root: Path, kept: Path) -> None:
    """Give a new root the capabilities an earlier one probed (nothing if none was kept)."""
    target = root / ROOT_DIR
    if not kept.is_dir() or (target.is_dir() and any(target.iterdir())):
        return
    target.mkdir(parents=True, exist_ok=True)
    for path in kept.glob("*.xml"):
        shutil.copy2(path, target / path.name)


def keep(root: Path, kept: Path) -> None:
    """Keep what this root's libvirt probed; each file is replaced whole (parallel runs)."""
    for path in (root / ROOT_DIR).glob("*.xml"):
        mine = kept / path.name
        if mine.exists() and mine.read_bytes() == path.read_bytes():
            continue
        kept.mkdir(parents=True, exist_ok=True)
        partial = kept / f".{path.name}.{os.getpid()}"
        with contextlib.suppress(OSError):  # a cache we cannot write costs the next run a probe
            shutil.copy2(path, partial)
            partial.replace(mine)
        partial.unlink(missing_ok=True)
