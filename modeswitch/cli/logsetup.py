"""Log records fit for journald: a <N> syslog priority prefix, no timestamp (journald adds one)."""

from __future__ import annotations

import logging

_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


class JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        priority = _PRIORITY.get(record.levelno, 6)
        message = super().format(record).replace("\n", " | ")  # one record, one journal entry
        return f"<{priority}>{record.name}: {message}"
