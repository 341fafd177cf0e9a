"""Logs never hold tokens, keys, JWTs or signed links, tracebacks included."""

from __future__ import annotations

import io
import logging

from bot_support.keys import key_pair

from bot.logs import RedactingFormatter, redact


def test_credentials_are_redacted() -> None:
    text = redact("Authorization: token ghs_abcdefghijklmnopqrstuvwxyz0123 and 'Authorization': 'Bearer eyJhbGciOi"
                  "JSUzI1NiJ9.eyJpc3MiOiI0MiJ9.c2lnbmF0dXJlc2ln' url=https://codeload.test/x.tar.gz?token=ABCDEF&x=1")
    assert "ghs_abc" not in text and "eyJhbGci" not in text and "ABCDEF" not in text
    assert "token=[redacted]&x=1" in text
    assert redact(key_pair()[0].strip()) == "[redacted private key]"


def test_tracebacks_go_through_the_redaction() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(message)s"))
    logger = logging.getLogger("test-redaction")
    logger.addHandler(handler)
    try:
        raise ConnectionError("GET https://codeload.test/a.tar.gz?token=SIGNED failed")
    except ConnectionError:
        logger.exception("download failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "SIGNED" not in output and "token=[redacted]" in output
