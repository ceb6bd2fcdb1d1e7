"""Typed errors. Every one of them renders as a single line a user can act on."""

from __future__ import annotations


class ModeswitchError(Exception):
    """Base: a message and an optional hint, printed as `message (hint)`."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(ModeswitchError):
    """A config or mode file is wrong; carries where, so editors can jump to it."""

    def __init__(
        self,
        path: str,
        line: int | None,
        column: int | None,
        message: str,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.path = path
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        return f"{where}: {super().__str__()}"


class PlanError(ModeswitchError):
    """The target mode cannot be reached from what was observed (device or sink missing)."""


class SinkMissing(PlanError):
    """No sink matches, nor an available profile: e.g. the TV is off. Modes may wait for it."""


class BackendError(ModeswitchError):
    """An outside system refused or failed a step or an observation."""


class StepTimeout(BackendError):
    """A step did not finish within its time budget."""


class UnknownMode(ModeswitchError):
    """A mode name that no mode file defines."""


class DaemonUnreachable(ModeswitchError):
    """The CLI needed the daemon and could not reach it."""


class NotYourDaemon(ModeswitchError):
    """The control socket (or the runtime dir holding it) belongs to another user. Exit 3 like
    an unreachable daemon, but never a reason to switch in-process: it is not this user's seat."""


class ProtocolError(ModeswitchError):
    """A control-socket message that is malformed, oversized or of the wrong version."""


class ReloadRefused(ModeswitchError):
    """A valid config whose wiring cannot be built (libvirt unreachable, sound server gone):
    the daemon keeps the last good config and its backends."""


class NoReply(ModeswitchError):
    """The daemon took a request and stopped before answering. Never retried in-process: the
    daemon may have run (and rolled back) the switch, and doing it again would run it twice."""


class CaptureError(ModeswitchError):
    """A usbmon capture file that cannot be read (not pcap/pcapng, wrong link type, cut short)."""
