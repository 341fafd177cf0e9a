"""The Flask application: ``POST /webhook``, ``GET /healthz``, ``GET /readyz``, ``GET /metrics``.

``create_app()`` is the factory gunicorn and ``flux-review serve`` load. It
reads and validates the settings (a bad value stops the start with a
message naming the variable), opens the state store and the queue, and
wires the webhook receiver. It starts no worker threads: ``serve`` does
that in embedded mode, ``flux-review worker`` in scale-out mode.

Settings without the App's credentials give setup mode (``bot.setup_page``):
the setup pages are served, ``POST /webhook`` answers 503 until the App is
registered, and then the same app serves webhooks without a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST

from bot.credentials import Credentials
from bot.jobs import Queue
from bot.metrics import QUEUE_DEPTH, page
from bot.readiness import Readiness
from bot.settings import Settings
from bot.setup_page import install_setup
from bot.state import Store, open_store
from bot.webhooks import WebhookReceiver


@dataclass(frozen=True)
class Components:
    """What the app factory built, for the server and the tests."""

    settings: Settings
    store: Store
    queue: Queue
    receiver: WebhookReceiver


def create_app(settings: Settings | None = None, *, store: Store | None = None,
               queue: Queue | None = None) -> Flask:
    """Build the web application (settings from the environment unless given)."""
    settings = settings if settings is not None else Settings.from_env()
    store = store if store is not None else open_store(settings)
    queue = queue if queue is not None else Queue(settings, store)
    app = Flask("flux-review")
    # One byte above the cap: werkzeug stops a chunked body at the limit without an error, so the
    # receiver sees limit + 1 bytes and refuses it (a declared length above the cap is refused at once).
    app.config["MAX_CONTENT_LENGTH"] = settings.tuning.max_webhook_bytes + 1
    app.extensions[_LISTENERS] = []
    if settings.registered:
        _serve_webhooks(app, Components(settings, store, queue, WebhookReceiver(settings, store, queue)))
    else:
        def registered(found: Credentials) -> None:
            now = settings.with_credentials(found)
            _serve_webhooks(app, Components(now, store, queue, WebhookReceiver(now, store, queue)))

        install_setup(app, settings, registered)

    @app.post("/webhook")
    def webhook() -> Response | tuple[Response, int]:
        components: Components | None = app.extensions.get("flux_review")
        if components is None:
            return jsonify(error="flux-review is not registered yet: open this server's / page to create its "
                                 "GitHub App", mode="setup"), 503
        # Reached only when the App was registered between _webhooks_first's look and this route.
        status, body = components.receiver.receive(request.environ)
        return jsonify(body), status

    app.wsgi_app = _webhooks_first(app, app.wsgi_app)  # type: ignore[method-assign]

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        try:
            store.ping()
        except Exception as error:
            current_app.logger.warning("health check: state store unreachable (%s)", type(error).__name__)
            return jsonify(status="unhealthy", reason="state store unreachable"), 503
        if "flux_review" not in app.extensions:
            return jsonify(status="ok", mode="setup"), 200
        mode = "scale-out" if settings.scale_out else "embedded"
        return jsonify(status="ok", mode=mode), 200

    readiness = Readiness(settings, store)
    QUEUE_DEPTH.watch(readiness.waiting_jobs)

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        verdict = readiness.check()  # bounded: the checks' own thread, at most a couple of seconds
        return jsonify(verdict.body()), verdict.status

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(page(), mimetype=CONTENT_TYPE_LATEST)

    @app.errorhandler(413)
    def too_large(_: Exception) -> tuple[Response, int]:
        return jsonify(error="payload too large"), 413

    return app


def components_of(app: Flask) -> Components:
    """The components an app serves webhooks with (``KeyError`` in setup mode, before registration)."""
    return app.extensions["flux_review"]


def when_registered(app: Flask, listener: Callable[[Components], None]) -> None:
    """Call ``listener`` once setup mode has registered the App (``serve`` starts the workers then)."""
    app.extensions[_LISTENERS].append(listener)


_LISTENERS = "flux_review_when_registered"
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _webhooks_first(app: Flask, flask_app: WsgiApp) -> WsgiApp:
    """``POST /webhook`` straight to the receiver once the App is registered; every other request to Flask.

    The receiver is a WSGI application of its own (``WebhookReceiver.__call__``):
    under a burst of deliveries Flask's per-request work was a fifth of each one's CPU.
    """

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/webhook" and environ.get("REQUEST_METHOD") == "POST":
            components: Components | None = app.extensions.get("flux_review")
            if components is not None:
                return components.receiver(environ, start_response)
        return flask_app(environ, start_response)

    return serve


def _serve_webhooks(app: Flask, components: Components) -> None:
    app.extensions["flux_review"] = components
    for listener in app.extensions[_LISTENERS]:
        listener(components)
