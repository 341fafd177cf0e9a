"""`serve`: gunicorn with one uvicorn worker process, our settings, and the review worker process it starts."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
import requests
from bot_support.inprocess import settings_for
from bot_support.keys import key_pair
from bot_support.process import bot_environment
from bot_support.waiting import wait_until

from bot.jobs import ensure_data_dir_free
from bot.server import Server, WebWorker
from bot.settings import Settings
from bot.web import WebApp


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """An App's settings in this process's environment, which the review worker process reads too."""
    env = bot_environment("4343", key_pair()[0], b"server secret", "http://127.0.0.1:9", tmp_path / "data")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings.from_env()


def test_gunicorn_is_configured_from_the_settings(tmp_path: Path) -> None:
    settings = settings_for("http://127.0.0.1:9", tmp_path).with_address("127.0.0.1", 8123)
    cfg = Server(settings).cfg
    assert cfg.bind == ["127.0.0.1:8123"]
    assert (cfg.workers, cfg.worker_class) == (1, WebWorker)
    assert cfg.control_socket_disable is True
    assert cfg.worker_exit is not None


def test_loading_in_the_worker_starts_the_review_worker_process(settings: Settings) -> None:
    server = Server(settings)
    app = server.load()
    try:
        assert isinstance(app, WebApp)
        assert app.flask.test_client().get("/healthz").status_code == 200
        assert server.consumer is not None
        url = wait_until(server.consumer.metrics_url, 30.0, 0.1, "the review worker process's metrics port")
        assert "flux_review_jobs_running" in requests.get(url, timeout=5).text
        with pytest.raises(RuntimeError, match="already runs jobs"):
            ensure_data_dir_free(settings.data_dir)  # held for the web worker and its review worker process
    finally:
        server._worker_exit(None, None)
        gc.unfreeze()  # loading froze this test process's heap; the tests after it collect as usual
    ensure_data_dir_free(settings.data_dir)  # both gone: free again


def test_loading_moves_what_was_loaded_out_of_the_collectors_view(settings: Settings) -> None:
    gc.unfreeze()
    server = Server(settings)
    try:
        server.load()
        assert gc.get_freeze_count() > 10_000  # the modules and the app: a full collection no longer walks them
    finally:
        server._worker_exit(None, None)
        gc.unfreeze()
