"""The floor of the webhook load test: gunicorn as ``flux-review serve`` runs it, answering 202 at once.

``bench/load.py --floor`` sends its burst here instead of to flux-review:
the same load generator, loopback and gunicorn worker (one process,
``gthread``, the same number of threads and keep-alive), and an application
that only reads the body and answers, so the latency it measures is what the
generator and gunicorn cost before flux-review does anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

ANSWER = b'{"status": "ignored", "reason": "load test floor"}'


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Read the delivery, answer 202 with a fixed body (``/healthz``: 200, for the start-up wait)."""
    if environ.get("PATH_INFO") == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    environ["wsgi.input"].read(length)
    start_response("202 Accepted", [("Content-Type", "application/json"), ("Content-Length", str(len(ANSWER)))])
    return [ANSWER]
