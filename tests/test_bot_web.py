"""The server's ASGI application and HTTP protocol, over real HTTP on 127.0.0.1 (uvicorn in a thread)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import uvicorn
from bot_support import payloads
from bot_support.delivery import deliver
from bot_support.inprocess import settings_for
from bot_support.process import free_port
from bot_support.waiting import wait_until

from bot import web
from bot.app import components_of, create_app
from bot.web import WebApp, WebProtocol, read_body, request_headers

SECRET = b"unit secret"


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, WebApp]]:
    monkeypatch.setattr(web, "HEAD_SECONDS", 0.5)
    app = WebApp(create_app(settings_for("http://127.0.0.1:9", tmp_path, review_delay=600.0)))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, loop="asyncio", http=WebProtocol,
                                           lifespan="off", ws="none", log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, 10.0, 0.02, "uvicorn to listen")
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_delivery_is_answered_by_the_receiver_and_the_rest_by_flask(served: tuple[str, WebApp]) -> None:
    url, app = served
    answer = deliver(url, "pull_request", payloads.pull_request("opened", "acme/web", 1, "c" * 40), SECRET)
    assert answer.status_code == 202 and answer.json()["status"] == "queued"
    assert answer.headers["Content-Type"] == "application/json"
    job = components_of(app.flask).store.get(answer.json()["job"])
    assert job is not None  # in the ledger before the answer
    assert requests.get(f"{url}/healthz", timeout=5).json()["status"] == "ok"  # Flask, through a2wsgi
    assert requests.get(f"{url}/webhook", timeout=5).status_code == 405


def test_a_declared_length_above_the_cap_is_refused_unread_and_the_connection_closed(
        served: tuple[str, WebApp]) -> None:
    url, app = served
    limit = components_of(app.flask).settings.tuning.max_webhook_bytes
    with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=10) as client:
        client.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: ping\r\nX-GitHub-Delivery: d\r\n"
                       b"Content-Length: " + str(limit + 1).encode() + b"\r\n\r\n{")
        reply = _read_all(client)
    assert reply.startswith(b"HTTP/1.1 413") and b"connection: close" in reply.lower()


def test_a_head_too_large_is_refused(served: tuple[str, WebApp]) -> None:
    url, _ = served
    with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=10) as client:
        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        filler = b"X-Filler: " + b"a" * 1000 + b"\r\n"
        try:
            for _ in range(web.MAX_HEAD_BYTES // len(filler) + 2):
                client.sendall(filler)
        except OSError:
            pass  # the server may close while we still send
        reply = _read_all(client)
    assert reply.startswith(b"HTTP/1.1 400")


def test_a_connection_that_never_finishes_its_head_is_closed(served: tuple[str, WebApp]) -> None:
    url, _ = served
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as silent, \
            socket.create_connection(("127.0.0.1", port), timeout=10) as trickling:
        trickling.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        assert _read_all(silent) == b""  # closed by the server, not by our 10 s timeout
        assert _read_all(trickling) == b""
    assert requests.get(f"{url}/healthz", timeout=5).status_code == 200


def test_read_body_stops_at_the_cap_and_at_the_deadline() -> None:
    async def chunks(*parts: bytes) -> bytes | None:
        messages = [{"type": "http.request", "body": part, "more_body": n < len(parts) - 1}
                    for n, part in enumerate(parts)]

        async def receive() -> dict[str, object]:
            return messages.pop(0)

        return await read_body(receive, 4, 5.0)

    async def stalled() -> bytes | None:
        async def receive() -> dict[str, object]:
            await asyncio.Event().wait()  # never set: the client stalls
            return {}

        return await read_body(receive, 4, 0.05)

    async def left() -> bytes | None:
        async def receive() -> dict[str, object]:
            return {"type": "http.disconnect"}

        return await read_body(receive, 4, 5.0)

    assert asyncio.run(chunks(b"ab", b"cd")) == b"abcd"
    assert asyncio.run(chunks(b"abc", b"def", b"ghi")) == b"abcde"  # limit + 1: the receiver refuses it
    assert asyncio.run(stalled()) is None
    assert asyncio.run(left()) is None


def test_request_headers_are_read_under_their_wsgi_names() -> None:
    scope = {"headers": [(b"x-github-event", b"ping"), (b"x-github-delivery", b"d-1"), (b"x-other", b"no"),
                         (b"content-length", b"12"), (b"x-github-event", b"second")]}
    assert request_headers(scope) == {"HTTP_X_GITHUB_EVENT": "ping", "HTTP_X_GITHUB_DELIVERY": "d-1",
                                      "CONTENT_LENGTH": "12"}


def _read_all(client: socket.socket) -> bytes:
    data = b""
    for _ in range(1000):  # bounded: the server closes, or the socket's timeout fails the test
        try:
            chunk = client.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data
