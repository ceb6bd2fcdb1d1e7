"""libvirt's own log lines go to modeswitch's logger, at debug level, never to the terminal.

libvirt writes two kinds of text of its own to stderr: its error reports ("libvirt: QEMU
Driver error : …", for every failed call, unless an error handler is registered) and its log
(by default warnings and errors, each output headed by "info : libvirt version…" and
"info : hostname…"). The embedded driver (`qemu:///embed`) runs in this process, so both land
on the user's terminal: a newcomer's first `modeswitch demo` showed two "error" lines that are
no errors (no access manager registered; dmidecode cannot read /dev/mem in a container).

Both are routed here: the error handler logs each report at debug (the same error also arrives
as a libvirtError, which modeswitch turns into its own one-line message), and the log goes to a
pipe whose lines a thread logs at debug. libvirt reads its log settings (LIBVIRT_LOG_OUTPUTS)
once, when it is initialised at `import libvirt`: `route_libvirt_logs` must run before the
first import, and gives the variable back afterwards, so that a hook's own libvirt client does
not write to a descriptor of ours. A user who set LIBVIRT_LOG_OUTPUTS gets what they asked for.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from typing import Any

LOG_PRIORITY = 3  # libvirt's warnings and errors; its debug output would cost every call
# "2026-12-04 18:23:30.479+0000: 10468: error : virAccessManagerGetDefault:69 : internal error: …"
LINE = re.compile(r"^\S+ \S+: \d+: (?P<level>\w+) : (?P<text>.*)$")


def route_libvirt_logs(logger: logging.Logger) -> bool:
    """Send libvirt's log and error reports to `logger` at debug level. False when libvirt was
    imported before (its log settings are read then) or the user chose their own outputs."""
    if "libvirt" in sys.modules or "LIBVIRT_LOG_OUTPUTS" in os.environ:
        _register_error_handler(logger)
        return False
    read, write = os.pipe()  # both ends close-on-exec: no child process inherits them
    threading.Thread(target=_forward, args=(read, logger), name="libvirt-log", daemon=True).start()
    os.environ["LIBVIRT_LOG_OUTPUTS"] = f"{LOG_PRIORITY}:file:/proc/self/fd/{write}"
    try:
        import libvirt  # noqa: F401  (initialises libvirt, which reads the variable now)
    finally:
        del os.environ["LIBVIRT_LOG_OUTPUTS"]
    _register_error_handler(logger)
    return True


def _register_error_handler(logger: logging.Logger) -> None:
    import libvirt

    libvirt.registerErrorHandler(error_handler(logger), None)


def error_handler(logger: logging.Logger) -> Any:
    """libvirt calls it with each error it reports (also from its own threads); the error
    tuple is (code, domain, message, level, …)."""
    def report(_context: object, error: tuple[Any, ...]) -> None:
        logger.debug("libvirt error %s: %s", error[0], error[2])
    return report


def libvirt_line(line: str) -> str:
    """One libvirt log line without its timestamp and thread id: "error: internal error: …"."""
    match = LINE.match(line)
    return f"{match.group('level')}: {match.group('text')}" if match else line


def _forward(fd: int, logger: logging.Logger) -> None:
    """Blocked in read() while libvirt is quiet: no wake-ups in an idle daemon."""
    with os.fdopen(fd, "r", errors="replace") as pipe:
        for line in pipe:
            if line.strip():
                logger.debug("libvirt %s", libvirt_line(line.rstrip("\n")))
