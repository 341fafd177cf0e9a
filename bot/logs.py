"""Logging set-up that keeps secrets out of every line, tracebacks included.

Exceptions from HTTP libraries can carry URLs (a pre-signed archive link
holds a token in its query string) and debugging output can carry headers.
The formatter redacts tokens, JWTs, Authorization values, signed query
parameters and PEM blocks from the fully formatted record, so even a
traceback cannot leak them.
"""

from __future__ import annotations

import logging
import re
import sys

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


def redact(text: str) -> str:
    """``text`` with anything that looks like a credential replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(level: int) -> None:
    """Log to stderr with redaction; quiet the libraries that log request details at debug level."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("github.Requester", "urllib3.connectionpool"):
        logging.getLogger(noisy).setLevel(max(level, logging.INFO))
