"""`serve`: gunicorn with one uvicorn worker process, our settings, and the consumer inside it."""

from __future__ import annotations

import gc
from pathlib import Path

from bot_support.inprocess import settings_for

from bot.server import Server, WebWorker
from bot.web import WebApp


def test_gunicorn_is_configured_from_the_settings(tmp_path: Path) -> None:
    settings = settings_for("http://127.0.0.1:9", tmp_path).with_address("127.0.0.1", 8123)
    cfg = Server(settings).cfg
    assert cfg.bind == ["127.0.0.1:8123"]
    assert (cfg.workers, cfg.worker_class) == (1, WebWorker)
    assert cfg.control_socket_disable is True
    assert cfg.worker_exit is not None


def test_loading_in_the_worker_starts_the_embedded_consumer(tmp_path: Path) -> None:
    server = Server(settings_for("http://127.0.0.1:9", tmp_path))
    app = server.load()
    try:
        assert server.workers is not None and server.workers.consumer is not None
        assert isinstance(app, WebApp)
        assert app.flask.test_client().get("/healthz").status_code == 200
    finally:
        server._worker_exit(None, None)
        gc.unfreeze()  # loading froze this test process's heap; the tests after it collect as usual


def test_loading_moves_what_was_loaded_out_of_the_collectors_view(tmp_path: Path) -> None:
    gc.unfreeze()
    server = Server(settings_for("http://127.0.0.1:9", tmp_path))
    try:
        server.load()
        assert gc.get_freeze_count() > 10_000  # the modules and the app: a full collection no longer walks them
    finally:
        server._worker_exit(None, None)
        gc.unfreeze()
