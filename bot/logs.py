"""Logging set-up that keeps secrets out of every line, tracebacks included, and says what a line is about.

Exceptions from HTTP libraries can carry URLs (a pre-signed archive link
holds a token in its query string) and debugging output can carry headers.
The formatters redact tokens, JWTs, Authorization values, signed query
parameters and PEM blocks, so even a traceback cannot leak them.

``LOG_FORMAT=json`` writes one JSON object per line: ``time``, ``level``,
``logger``, ``message``, the context fields known at the time (``delivery``,
``installation``, ``repository``, ``pull``, ``job``) and ``exc`` for a
traceback; every field is redacted. The context lives in a context variable:
a webhook delivery and a job each open a fresh one (``scoped``,
``job_scoped``) and ``bind`` what they learn, so the lines of jobs running in
different threads never mix. Threads do not inherit context variables; a
thread a job starts runs its target through ``carry`` to keep the job's fields.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any, ParamSpec, TypeVar

from gunicorn.glogging import Logger as _GunicornBaseLogger

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
     "[redacted private key]"),
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(token|bearer|basic)\s+[^\s'\",}]+"),
     r"\1\2 [redacted]"),
    (re.compile(r"(?i)([?&](?:token|access_token|jwt|sig|signature|x-amz-signature|x-amz-credential)=)[^&\s'\"]+"),
     r"\1[redacted]"),
    (re.compile(r"\bgh[opsur]_[A-Za-z0-9]{16,}\b"), "[redacted token]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b"), "[redacted jwt]"),
]

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CONTEXT_FIELDS = ("delivery", "installation", "repository", "pull", "job")
_FIELD_NAMES = frozenset(CONTEXT_FIELDS)

_EMPTY: Mapping[str, object] = MappingProxyType({})
_context: ContextVar[Mapping[str, object]] = ContextVar("flux_review_log_context", default=_EMPTY)
_active_formatter: logging.Formatter | None = None

P = ParamSpec("P")
R = TypeVar("R")


def redact(text: str) -> str:
    """``text`` with anything that looks like a credential replaced.

    Each pattern needs one of a few literal strings to match (``-----BEGIN``,
    ``authorization`` in any case, ``=``, ``gh``, ``eyJ``); a line holding none
    of them is returned as it is, without running the patterns (most lines:
    five regular expressions were 10 of the 25 microseconds a line cost).
    """
    if not _might_hold_a_credential(text):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _might_hold_a_credential(text: str) -> bool:
    return ("=" in text or "gh" in text or "eyJ" in text or "-----BEGIN" in text
            or "authorization" in text.lower())


# -- context ------------------------------------------------------------------------
def bind(**fields: object) -> None:
    """Add what is now known (``job=...``, ``pull=...``) to the current context; None values are left out."""
    if not _FIELD_NAMES.issuperset(fields):
        unknown = set(fields) - _FIELD_NAMES
        raise ValueError(f"not a log context field: {', '.join(sorted(unknown))}")
    known = {name: value for name, value in fields.items() if value is not None}
    if known:
        _context.set(MappingProxyType({**_context.get(), **known}))


def context() -> dict[str, object]:
    """The fields of the current context."""
    return dict(_context.get())


@contextmanager
def scope(**fields: object) -> Iterator[None]:
    """A fresh context holding ``fields`` (and what is bound inside) until the block ends."""
    token = _context.set(_EMPTY)
    try:
        bind(**fields)
        yield
    finally:
        _context.reset(token)


def scoped(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` in a fresh context: where a delivery is received, nothing of the last one remains."""

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with scope():
            return function(*args, **kwargs)

    return run


def job_scoped(method: Callable[..., R]) -> Callable[..., R]:
    """Run a ``method(self, job_id, ...)`` in a fresh context that names the job."""

    @functools.wraps(method)
    def run(self: Any, job_id: str, *args: Any, **kwargs: Any) -> R:
        with scope(job=job_id):
            return method(self, job_id, *args, **kwargs)

    return run


def carry(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` bound to the current context's fields, for the target of a thread started now."""
    fields = _context.get()

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        token = _context.set(fields)
        try:
            return function(*args, **kwargs)
        finally:
            _context.reset(token)

    return run


class ContextFilter(logging.Filter):
    """Copies the context fields onto each record as it is logged (in the thread that logs it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _context.get()
        for name in CONTEXT_FIELDS:
            if name in fields and getattr(record, name, None) is None:
                setattr(record, name, fields[name])
        return True


# -- formats --------------------------------------------------------------------------
class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line, each field redacted before it is encoded."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        fields = getattr(record, "__dict__", {})
        for name in CONTEXT_FIELDS:
            value = fields.get(name, _context.get().get(name))
            if value is not None:
                entry[name] = value if isinstance(value, int) and not isinstance(value, bool) else redact(str(value))
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exc"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        # ASCII escapes keep the line writable whatever the text holds (undecodable file names included).
        return json.dumps(entry, ensure_ascii=True, default=str)


def formatter(log_format: str) -> logging.Formatter:
    """The formatter of a ``LOG_FORMAT`` value."""
    if log_format == "json":
        return JsonFormatter()
    if log_format == "text":
        return RedactingFormatter(TEXT_FORMAT)
    raise ValueError(f"unknown log format {log_format!r}: expected one of {', '.join(FORMATS)}")


def configure(level: int, log_format: str = "text") -> None:
    """Log to stderr with redaction; quiet the libraries that log request details at debug level.

    Records do not look up the file, line and function that logged them (a
    walk up the stack per line, a quarter of a line's cost): no format here
    or in gunicorn writes them.
    """
    global _active_formatter
    logging._srcfile = None  # the logging module's documented switch for this
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(ContextFilter())
    _active_formatter = handler.formatter if log_format == "json" else None
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("github.Requester", "urllib3.connectionpool"):
        logging.getLogger(noisy).setLevel(max(level, logging.INFO))


class GunicornLogger(_GunicornBaseLogger):
    """gunicorn's logger, writing JSON lines like the rest of the process when ``LOG_FORMAT=json``.

    gunicorn installs its own handlers (its own line format) on its loggers;
    with JSON logs those lines would be the only ones a log collector cannot parse.
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if _active_formatter is None:
            return
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(_active_formatter)
