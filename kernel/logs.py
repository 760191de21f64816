"""Structured JSON logs, one object per line, with the request id when there is one (given by the caller, or
that of the request being served).

Personal data never goes into a log message: log ids and masked values (kernel.pii).
"""
from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone

from flask import g, has_request_context

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
# PostgreSQL explains a refused row in a DETAIL line that quotes it ("Failing row contains (…, Nguyễn Văn An,
# 0912345678, …)", "Key (phone)=(…) already exists") and a CONTEXT line that may quote a value: the statement's
# parameters are hidden (`kernel.db.make_engine`), but these come inside the driver's own message.
_ROW_VALUES = re.compile(r"^(\s*(?:DETAIL|CONTEXT):).*$", re.MULTILINE)


def without_row_values(text: str) -> str:
    """`text` with PostgreSQL's DETAIL and CONTEXT lines blanked; the error's first line (which constraint,
    which column) is kept, and is what one needs to find the bug."""
    return _ROW_VALUES.sub(r"\1 (hidden: it may quote personal data)", text)


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "at": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": without_row_values(record.getMessage()),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if "request_id" not in entry:
            request_id = _current_request_id()
            if request_id is not None:
                entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = without_row_values(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def _current_request_id() -> str | None:
    """The id of the request being served, for a line logged during it by code that does not name it (work
    run after a commit, a library): a support call quoting the id finds every line. None outside a request."""
    return g.get("request_id") if has_request_context() else None


def configure_logging(level: str = "INFO") -> None:
    """Route the `hccpay` loggers to stderr as JSON (idempotent)."""
    logger = logging.getLogger("hccpay")
    logger.setLevel(level)
    if not any(isinstance(h.formatter, JSONFormatter) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JSONFormatter())
        logger.addHandler(handler)
        logger.propagate = False
