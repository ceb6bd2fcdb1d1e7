"""libvirt errors built the way libvirt raises them, for the tests of how modeswitch words them."""

from __future__ import annotations

import libvirt


def libvirt_error(text: str) -> libvirt.libvirtError:
    """A libvirtError whose message is `text`. libvirtError() reads this thread's last libvirt
    error first, so a failed call of an earlier test (a broken pipe at a close) would be the
    message instead: clear it, as a fresh failing call would have replaced it."""
    libvirt.virResetLastError()
    return libvirt.libvirtError(text)
