"""Where the doctor looks, and as whom. Every root is an argument so fixture trees shaped
like real machines stand in for /sys, /proc, /dev and /etc in the tests.

Access is computed from owner, group and mode bits for the given identity instead of
os.access(): the tests run as root, for whom os.access() says yes to everything.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Roots:
    sys: Path = Path("/sys")
    proc: Path = Path("/proc")
    dev: Path = Path("/dev")
    etc: Path = Path("/etc")
    usr_lib: Path = Path("/usr/lib")  # where the Debian package puts the udev rules and the user unit
    path: str = "/usr/local/bin:/usr/bin:/bin"  # the PATH searched for looking-glass-client
    config_home: Path = Path("~/.config")  # $XDG_CONFIG_HOME: the systemd user unit lives below
    state_home: Path = Path("~/.local/state")  # $XDG_STATE_HOME: WirePlumber's memory lives below
    uid: int = 0
    gids: frozenset[int] = field(default_factory=frozenset)

    @staticmethod
    def from_environment() -> Roots:
        from modeswitch.paths import xdg_dir

        return Roots(path=os.environ.get("PATH", ""), config_home=xdg_dir("XDG_CONFIG_HOME", ".config"),
                     state_home=xdg_dir("XDG_STATE_HOME", ".local/state"),
                     uid=os.getuid(), gids=frozenset({os.getgid(), *os.getgroups()}))

    def under_dev(self, absolute: str) -> Path:
        """/dev/input/by-id/x as seen in this root (a fixture tree or the real /dev)."""
        relative = os.path.relpath(absolute, "/dev") if absolute.startswith("/dev/") else absolute.lstrip("/")
        return self.dev / relative


def may(path: Path, uid: int, gids: frozenset[int], read: bool = True, write: bool = False) -> bool:
    """For the identity this process runs as, the kernel's answer (it knows udev's uaccess
    ACLs); for another identity, owner/group/other bits."""
    if uid == os.geteuid():
        mode = (os.R_OK if read else 0) | (os.W_OK if write else 0)
        return os.access(path, mode or os.F_OK)
    try:
        info = path.stat()
    except OSError:
        return False
    if uid == 0:
        return True
    if info.st_uid == uid:
        r, w = stat.S_IRUSR, stat.S_IWUSR
    elif info.st_gid in gids:
        r, w = stat.S_IRGRP, stat.S_IWGRP
    else:
        r, w = stat.S_IROTH, stat.S_IWOTH
    return (not read or bool(info.st_mode & r)) and (not write or bool(info.st_mode & w))


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None
