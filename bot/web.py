"""The web server's application (ASGI): ``POST /webhook`` answered on the event loop, every other route by Flask.

Under a burst of deliveries the thread-per-request server spent more of
the web process's time parsing requests and writing answers in Python, and
switching its threads, than the receiver spent on the deliveries. Here the
HTTP work is uvicorn's (a C parser, an event loop), and a delivery is
answered by the receiver on the loop itself: the same checks in the same
order (size cap, body deadline, signature, headers, JSON, routing) and the
ledger's commit before the 202, as ``bot.webhooks`` describes. Every other
route (setup pages, health, readiness, metrics), and ``POST /webhook`` in
setup mode, is the Flask app's, run in a pool of threads (a2wsgi).

In scale-out mode the ledger is Redis, a round trip over the network that
may hang until its timeout: there the receiver runs in a pool of threads of
its own, so a slow Redis holds deliveries, not the event loop (nor health
checks and metrics).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from a2wsgi import WSGIMiddleware
from flask import Flask
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bot.webhooks import (
    DELIVERY_KEY,
    EVENT_KEY,
    SIGNATURE_KEY,
    Answer,
    WebhookReceiver,
    content_length,
    encode_answer,
)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

FLASK_THREADS = 8
MAX_HEAD_BYTES = 64 * 1024  # a request line and headers, together (gunicorn allowed 4 KiB + 100 x 8 KiB)
HEAD_SECONDS = 10.0  # to send them, from the connection or the request's first byte
# The request headers the receiver reads, by their WSGI names.
_HEADERS = {b"x-hub-signature-256": SIGNATURE_KEY, b"x-github-event": EVENT_KEY, b"x-github-delivery": DELIVERY_KEY,
            b"content-type": "CONTENT_TYPE", b"content-length": "CONTENT_LENGTH",
            b"transfer-encoding": "HTTP_TRANSFER_ENCODING"}


class WebApp:
    """The ASGI application ``flux-review serve`` runs: the webhook receiver first, then Flask."""

    def __init__(self, flask_app: Flask, threads: int = FLASK_THREADS) -> None:
        self.flask = flask_app
        self.other_routes = WSGIMiddleware(flask_app, workers=threads)
        self.receiver_threads = ThreadPoolExecutor(threads, thread_name_prefix="webhook")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # no lifespan events and no websockets: the server is configured without them
        if scope["method"] == "POST" and scope["path"] == "/webhook":
            components = self.flask.extensions.get("flux_review")
            if components is not None:
                threads = self.receiver_threads if components.settings.scale_out else None
                await answer_delivery(components.receiver, scope, receive, send, threads)
                return
        await self.other_routes(scope, receive, send)


async def answer_delivery(receiver: WebhookReceiver, scope: Scope, receive: Receive, send: Send,
                          threads: ThreadPoolExecutor | None = None) -> None:
    """Read one delivery within the body deadline, let the receiver decide, answer.

    Without ``threads`` (embedded mode) the receiver runs on the event loop:
    its ledger write is one short SQLite transaction, and running it here
    rather than in a thread spares the switches between threads that made up
    much of a delivery's time under load. With them (scale-out mode) it runs in
    one of them. A refusal that leaves the body unread (too large, too slow)
    closes the connection.
    """
    environ = request_headers(scope)
    limit = receiver.settings.tuning.max_webhook_bytes
    declared = content_length(environ)
    body: bytes | None = b""  # a declared length above the cap is refused before a byte of the body is read
    if declared is None or declared <= limit:
        body = await read_body(receive, limit, receiver.settings.tuning.body_timeout)
    if threads is None:
        answer: Answer = receiver.answer(receiver.receive_body, environ, body)
    else:
        answer = await asyncio.get_running_loop().run_in_executor(
            threads, receiver.answer, receiver.receive_body, environ, body)
    status = answer[0]
    _, headers, data = encode_answer(*answer)
    raw_headers = [(name.lower().encode(), value.encode()) for name, value in headers]
    if status in (408, 413):
        raw_headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": data})


def request_headers(scope: Scope) -> dict[str, str]:
    """The headers the receiver reads, under their WSGI names (latin-1, as WSGI decodes them)."""
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = _HEADERS.get(name)
        if key is not None and key not in found:
            found[key] = value.decode("latin-1")
    return found


async def read_body(receive: Receive, limit: int, timeout: float) -> bytes | None:
    """The request body (at most ``limit + 1`` bytes), or None when the client takes longer than ``timeout``
    seconds to send it or leaves before sending all of it.

    A client that sends its headers and then stalls, or trickles a byte at a
    time, costs a waiting coroutine until its deadline, not a thread.
    """
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            while size <= limit:
                message = await receive()
                if message["type"] != "http.request":
                    return None  # the client left
                chunk = message.get("body", b"")
                chunks.append(chunk)
                size += len(chunk)
                if not message.get("more_body", False):
                    break
    except TimeoutError:
        return None
    return b"".join(chunks)[: limit + 1]


class WebProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol (httptools' parser) with the limits gunicorn's worker had on a request's head.

    uvicorn bounds neither how long a client may take to send a request line
    and headers nor how large they may be; gunicorn's worker bounded both.
    A head past ``MAX_HEAD_BYTES`` is answered 400 and the connection closed;
    a connection that has not sent a whole head ``HEAD_SECONDS`` after it
    opened, or after the request's first byte, is closed. The body has its own
    deadline (``read_body``); between requests uvicorn's keep-alive timeout applies.
    """

    _head_bytes = 0
    _in_head = True
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        if self._in_head and self._head_timer is None:
            self._arm_head_timer()
        super().data_received(data)
        if self._in_head and not self.transport.is_closing():
            self._head_bytes += len(data)  # the whole chunk was head: the head is not complete yet
            if self._head_bytes > MAX_HEAD_BYTES:
                self._cancel_head_timer()
                self.send_400_response("Request line and headers too large.")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes = True, 0

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._cancel_head_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        self._head_timer = self.loop.call_later(HEAD_SECONDS, self._head_too_slow)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self._in_head and not self.transport.is_closing():
            self.transport.close()
