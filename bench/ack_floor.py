"""The floor of the webhook load test: gunicorn as ``flux-review serve`` runs it, answering 202 at once.

``bench/load.py --floor`` sends its burst here instead of to flux-review:
the same load generator, loopback and gunicorn worker (one process, serve's
uvicorn worker ``bot.server.WebWorker``, the same keep-alive), and an
application that only reads the body and answers (``asgi_app``), so the
latency it measures is what the generator and the server cost before
flux-review does anything. ``--floor-gthread`` measures gunicorn's
``gthread`` worker (8 threads), which ``serve`` ran before, with ``app``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

ANSWER = b'{"status": "ignored", "reason": "load test floor"}'
_HEALTHY = b"ok"


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Read the delivery, answer 202 with a fixed body (``/healthz``: 200, for the start-up wait)."""
    if environ.get("PATH_INFO") == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [_HEALTHY]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    environ["wsgi.input"].read(length)
    start_response("202 Accepted", [("Content-Type", "application/json"), ("Content-Length", str(len(ANSWER)))])
    return [ANSWER]


async def asgi_app(scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
                   send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
    """The same as ``app``, as an ASGI application."""
    if scope["type"] != "http":
        return
    if scope["path"] == "/healthz":
        status, body, kind = 200, _HEALTHY, b"text/plain"
    else:
        status, body, kind = 202, ANSWER, b"application/json"
        more = True
        while more:
            message = await receive()
            more = message["type"] == "http.request" and message.get("more_body", False)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
