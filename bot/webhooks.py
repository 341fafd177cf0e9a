"""``POST /webhook``: verify, parse, route, persist, answer, in milliseconds.

The order matters: the size cap first (413, before reading a byte more
than allowed), then the signature over the raw bytes in constant time
(401, without saying why: a forger learns nothing), then the JSON (400).
Only then is the event routed; a review job is written to the ledger with
the delivery id before the 202 leaves, and a delivery id seen before is
answered 202 without a second job. Nothing slow runs here.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import socket
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from bot import logs, metrics
from bot.handlers import Context, Ignore, RecordInstallation, Review, route
from bot.jobs import Queue
from bot.settings import Settings
from bot.state import STORE_ERRORS, Store

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
SIGNATURE_KEY = "HTTP_X_HUB_SIGNATURE_256"  # the headers as WSGI names them
EVENT_KEY = "HTTP_X_GITHUB_EVENT"
DELIVERY_KEY = "HTTP_X_GITHUB_DELIVERY"

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
Answer = tuple[int, dict[str, Any]]
_STATUS_LINES = {status: f"{status} {HTTPStatus(status).phrase}" for status in (200, 202, 400, 401, 408, 413, 503)}


def signature(secret: bytes, body: bytes) -> str:
    """GitHub's ``X-Hub-Signature-256`` value for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def signature_valid(secret: bytes, body: bytes, header: str | None) -> bool:
    """Constant-time comparison of the header with the expected signature."""
    if not header:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), header.strip().encode())


def read_body(environ: Environ, limit: int, timeout: float,
              monotonic: Callable[[], float] = time.monotonic) -> bytes | None:
    """The request body (at most ``limit + 1`` bytes), or None when the client takes longer than ``timeout``
    seconds to send it, or leaves before sending what it declared.

    Under gunicorn each read of the client's socket gets what is left of the
    deadline, so a client that sends its headers and then stalls, or trickles a
    byte at a time, frees its thread when the deadline passes. A body with
    neither a length nor a server that ends it (WSGI's ``wsgi.input_terminated``)
    is empty, as WSGI requires.
    """
    declared = content_length(environ)
    if declared is None and not environ.get("wsgi.input_terminated"):
        return b""
    wanted = limit + 1 if declared is None else min(declared, limit + 1)
    stream = environ["wsgi.input"]
    sock = environ.get("gunicorn.socket")
    if sock is None or not hasattr(sock, "settimeout"):
        return _read_whole(stream, wanted, declared)  # not behind gunicorn (a test or development server)
    deadline = monotonic() + timeout
    prior = sock.gettimeout()
    chunks: list[bytes] = []
    size = 0
    try:
        while size < wanted:
            remaining = deadline - monotonic()
            if remaining <= 0:
                return _give_up(sock)
            sock.settimeout(remaining)
            chunk = stream.read(min(65536, wanted - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError:  # a timeout, a reset, or gunicorn's errors of a broken chunked body
        return _give_up(sock)
    finally:
        with contextlib.suppress(OSError):
            sock.settimeout(prior)
    if declared is not None and size < wanted:
        return _give_up(sock)  # the client left before sending what it declared
    return b"".join(chunks)


def _read_whole(stream: Any, wanted: int, declared: int | None) -> bytes | None:
    try:
        body = stream.read(wanted)
    except OSError:
        return None
    return None if declared is not None and len(body) < wanted else body


def content_length(environ: Environ) -> int | None:
    """The declared length of the body, or None (chunked, absent or unreadable)."""
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        return None
    try:
        return max(0, int(environ.get("CONTENT_LENGTH") or ""))
    except ValueError:
        return None


def _give_up(sock: Any) -> None:
    """Stop reading a stalled client: its unread body would otherwise be drained by the server after the
    answer (a wait of its own); reading ends here, the answer is still written."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RD)


class WebhookReceiver:
    """Turns one HTTP delivery into a response, and into a persisted job when there is work."""

    def __init__(self, settings: Settings, store: Store, queue: Queue,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.store = store
        self.queue = queue
        self.clock = clock
        self.clock_monotonic = time.monotonic

    def __call__(self, environ: Environ, start_response: StartResponse) -> list[bytes]:
        """Answer ``POST /webhook`` as a WSGI application.

        Flask's request and response machinery is not used for this one
        route: under a burst it was a fifth of a delivery's CPU. Everything
        else is as it was: each check, in the same order, and the same answers
        (JSON as Flask writes it).
        """
        status_line, headers, data = encode_answer(*self.answer(self.receive, environ))
        start_response(status_line, headers)
        return [data]

    def answer(self, receive: Callable[..., Answer], *args: Any) -> Answer:
        """``receive(*args)``, or a 500 logged with its traceback when it fails unexpectedly."""
        try:
            return receive(*args)
        except Exception:
            log.exception("webhook: unexpected error")
            return 500, {"error": "internal server error"}

    @logs.scoped
    def receive(self, environ: Environ) -> Answer:
        """The status and JSON body answering one delivery (its job written first, when it makes one)."""
        limit = self.settings.tuning.max_webhook_bytes
        declared = content_length(environ)
        if declared is not None and declared > limit:
            return _answer("payload too large", 413, "too-large")
        body = read_body(environ, limit, self.settings.tuning.body_timeout, self.clock_monotonic)
        return self._received(environ, body)

    @logs.scoped
    def receive_body(self, environ: Environ, body: bytes | None) -> Answer:
        """Like ``receive``, for a server that read the body itself: ``body`` is what ``read_body`` would
        return (None when the client was too slow or left, at most ``limit + 1`` bytes) and ``environ``
        holds the request's headers under their WSGI names; a declared length above the cap is refused
        whatever the body, and the server need not read it."""
        declared = content_length(environ)
        if declared is not None and declared > self.settings.tuning.max_webhook_bytes:
            return _answer("payload too large", 413, "too-large")
        return self._received(environ, body)

    def _received(self, environ: Environ, body: bytes | None) -> Answer:
        limit = self.settings.tuning.max_webhook_bytes
        if body is None:
            return _answer("request body too slow", 408, "slow-body")
        if len(body) > limit:
            return _answer("payload too large", 413, "too-large")
        if not signature_valid(self.settings.webhook_secret, body, environ.get(SIGNATURE_KEY)):
            delivery = _clean(environ.get(DELIVERY_KEY))
            log.warning("webhook refused: bad signature (delivery %s)", delivery)
            return _answer("unauthorized", 401, "bad-signature")
        event = environ.get(EVENT_KEY, "")
        delivery = environ.get(DELIVERY_KEY, "")
        if not event or not delivery or len(delivery) > 200:
            return _answer("missing X-GitHub-Event or X-GitHub-Delivery", 400, "bad-request", event or "none")
        logs.bind(delivery=delivery)
        payload = _payload(_mimetype(environ), body)
        if payload is None:
            return _answer("body is not a JSON object", 400, "bad-json", event)
        _log_context(payload)
        if event == "ping":
            metrics.WEBHOOKS.labels(event, "pong").inc()
            return 200, {"status": "pong", "zen": str(payload.get("zen", ""))[:200]}
        try:
            return self._dispatch(event, delivery, payload)
        except STORE_ERRORS as error:
            # Not a 500: 503 tells GitHub (and whoever redelivers) that the delivery was not taken.
            log.error("%s (delivery %s): the state store could not record it (%s: %s)", event, delivery,
                      type(error).__name__, str(error)[:200])
            return _answer("the state store cannot record deliveries now; nothing was queued, redeliver it",
                           503, "store-unavailable", event)

    def _dispatch(self, event: str, delivery: str, payload: dict[str, Any]) -> Answer:
        action = payload.get("action")
        name = f"{event}.{action}" if isinstance(action, str) else event
        decision = route(event, payload, Context.from_settings(self.settings, delivery))
        now = self.clock()
        if isinstance(decision, Review):
            accepted = self.queue.submit(delivery, decision.request)
            if accepted.duplicate:
                return _answer_json({"status": "duplicate"}, 202, event, "duplicate")
            logs.bind(job=accepted.job_id)
            log.info("%s (delivery %s): queued job %s for %s", name, delivery, accepted.job_id, decision.request.key)
            return _answer_json({"status": "queued", "job": accepted.job_id}, 202, event, "queued")
        if isinstance(decision, Ignore):
            # Nothing is written for ignored events: a repeat of one changes nothing either.
            log.info("%s (delivery %s): ignored, %s", name, delivery, decision.reason)
            return _answer_json({"status": "ignored", "reason": decision.reason}, 202, event, "ignored")
        if self.store.accept(delivery, now).duplicate:
            return _answer_json({"status": "duplicate"}, 202, event, "duplicate")
        if isinstance(decision, RecordInstallation):
            self.store.record_installation(decision.installation_id, decision.account, decision.action,
                                           decision.added, decision.removed, now)
            log.info("installation %s (%s): %s, +%d -%d repositories", decision.installation_id,
                     decision.account, decision.action, len(decision.added), len(decision.removed))
        return _answer_json({"status": "recorded"}, 202, event, "recorded")


def encode_answer(status: int, body: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """The status line, headers and bytes of an answer: JSON as Flask writes it."""
    data = (json.dumps(body, separators=(",", ":"), sort_keys=True) + "\n").encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    return _STATUS_LINES.get(status) or f"{status} {HTTPStatus(status).phrase}", headers, data


def _payload(mimetype: str, body: bytes) -> dict[str, Any] | None:
    """The JSON object of a delivery (``application/json`` or the form encoding's ``payload`` field)."""
    try:
        if mimetype == "application/x-www-form-urlencoded":
            from urllib.parse import parse_qs

            fields = parse_qs(body.decode("utf-8"), strict_parsing=False)
            text = fields.get("payload", [""])[0]
        else:
            text = body.decode("utf-8")
        value = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _log_context(payload: dict[str, Any]) -> None:
    """Name the delivery's installation, repository and pull request on the lines logged while it is handled.

    Only values of the expected type are taken; the handlers check the payload properly.
    """
    def field(*path: str) -> object:
        value: object = payload
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    installation = field("installation", "id")
    repository = field("repository", "full_name")
    pull = field("pull_request", "number") or field("number") or (
        field("issue", "number") if field("issue", "pull_request") else None)
    logs.bind(installation=installation if type(installation) is int else None,
              repository=repository[:200] if isinstance(repository, str) else None,
              pull=pull if type(pull) is int else None)


def _clean(value: str | None) -> str:
    return "".join(ch for ch in (value or "")[:80] if ch.isalnum() or ch == "-") or "none"


def _mimetype(environ: Environ) -> str:
    return environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()


def _answer(message: str, status: int, outcome: str, event: str = "unknown") -> Answer:
    metrics.WEBHOOKS.labels(event if status != 401 else "unverified", outcome).inc()
    return status, {"error": message}


def _answer_json(body: dict[str, Any], status: int, event: str, outcome: str) -> Answer:
    metrics.WEBHOOKS.labels(event, outcome).inc()
    return status, body
