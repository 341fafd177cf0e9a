"""The app factory: routes, health, metrics, and settings errors at start."""

from __future__ import annotations

from pathlib import Path

import pytest
from bot_support.inprocess import settings_for

from bot.app import components_of, create_app
from bot.settings import SettingsError
from bot.state import SqliteStore


def test_health_reports_the_mode_and_an_unreachable_store(tmp_path: Path) -> None:
    app = create_app(settings_for("http://127.0.0.1:9", tmp_path))
    client = app.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok", "mode": "embedded"}
    store = components_of(app).store
    assert isinstance(store, SqliteStore)
    store.ping = lambda: (_ for _ in ()).throw(OSError("disk gone"))  # type: ignore[method-assign]
    answer = client.get("/healthz")
    assert answer.status_code == 503 and answer.get_json()["reason"] == "state store unreachable"


def test_metrics_are_exposed_for_prometheus(tmp_path: Path) -> None:
    client = create_app(settings_for("http://127.0.0.1:9", tmp_path)).test_client()
    client.post("/webhook", data=b"{}", headers={"X-GitHub-Event": "ping", "X-GitHub-Delivery": "x",
                                                 "X-Hub-Signature-256": "sha256=00"})
    text = client.get("/metrics").get_data(as_text=True)
    assert 'flux_review_webhooks_total{event="unverified",outcome="bad-signature"}' in text
    assert "flux_review_github_requests_total" in text


def test_the_factory_reads_the_environment_and_refuses_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ID", "not-a-number")
    with pytest.raises(SettingsError, match="APP_ID"):
        create_app()


def test_only_post_is_accepted_on_the_webhook(tmp_path: Path) -> None:
    client = create_app(settings_for("http://127.0.0.1:9", tmp_path)).test_client()
    assert client.get("/webhook").status_code == 405
